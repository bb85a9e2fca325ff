/**
 * A fake Compute Engine on loopback: the v1 JSON API that
 * `@google-cloud/compute` (REST transport) and gcloud speak, under
 * `/compute/v1/projects/{project}/…`. It keeps networks, firewall rules and
 * VMs in memory, runs every change as an operation, refuses what the service
 * refuses (from its own tables, tables.ts) and injects faults given as data
 * (faults.ts).
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { beforeHandling, FaultInjector } from '../fake-gcs/faults.ts';
import { computeGuests } from '../fake-vm/compute-guests.ts';
import { type FakeVmOptions, fleetOf, type VmFleet } from '../fake-vm/fleet.ts';
import { listenHttp } from '../listen.ts';
import { ComputeHttpError, notFound } from './errors.ts';
import { CapacityFaults, type FakeComputeFaults } from './faults.ts';
import { type ComputeRequest, readJson, sendError, sendJson } from './http.ts';
import { type Json, Operations } from './operations.ts';
import { routeGlobal } from './routes-global.ts';
import { routeInstances } from './routes-instances.ts';
import { routeZones } from './routes-zones.ts';
import { type ComputeContext, createComputeContext } from './state.ts';

export interface FakeComputeOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  faults?: FakeComputeFaults;
  /** How long `operations.wait` holds a request before answering RUNNING; default 120 s, as the service. */
  waitCapMs?: number;
  /** Called once per answered request. */
  onRequest?: (entry: { method: string; url: string; status: number }) => void;
  /**
   * Fake VMs that really boot: a RUNNING instance runs its `startup-script`
   * locally (fake-vm/). `true` or options: a fleet of its own, shut down at
   * close; a `VmFleet`: one shared with other fakes (its owner closes it).
   * Off by default: instances are records only.
   */
  boot?: boolean | FakeVmOptions | VmFleet;
}

export interface FakeCompute {
  /** `http://127.0.0.1:PORT`: the client's endpoint (STRATO_COMPUTE_ENDPOINT). */
  endpoint: string;
  /** `http://127.0.0.1:PORT/compute/v1/`: gcloud's `api_endpoint_overrides/compute`. */
  restUrl: string;
  /** HTTP faults (503 on the Nth request, resets, delays). */
  faults: FaultInjector;
  /** Stockouts, exhausted quotas and the duration of operations. */
  capacity: CapacityFaults;
  /** The fake's resources, for inspection. */
  context: ComputeContext;
  /** Requests answered, by `METHOD path-template` (e.g. `GET zones/*\/instances`), to count API calls. */
  calls: Map<string, number>;
  /** The fake VMs, when booting is on. */
  fleet: VmFleet | undefined;
  /**
   * Preempts a spot VM as the service does: it stops (status TERMINATED, or
   * is deleted when its termination action is DELETE) and a
   * `compute.instances.preempted` operation records it.
   */
  preempt(project: string, zone: string, name: string): void;
  close(): Promise<void>;
}

const PREFIX = /^\/compute\/v1\/projects\/([^/]+)\/(.*)$/;

export async function startFakeCompute(options: FakeComputeOptions = {}): Promise<FakeCompute> {
  const faults = new FaultInjector(options.faults?.http);
  const capacity = new CapacityFaults(options.faults);
  let base = '';
  const operations = new Operations(
    () => base,
    () => capacity.operationMs,
    options.waitCapMs,
  );
  const context = createComputeContext(() => base, operations, capacity);
  const { fleet, own: ownFleet } = fleetOf(options.boot);
  if (fleet) context.events = computeGuests(context, fleet);
  const calls = new Map<string, number>();
  const server = createServer((req, res) => {
    if (options.onRequest) {
      const entry = { method: req.method ?? 'GET', url: req.url ?? '/' };
      res.once('close', () =>
        options.onRequest?.({ ...entry, status: res.headersSent ? res.statusCode : 0 }),
      );
    }
    void handle(req, res, context, faults, calls);
  });
  const endpoint = await listenHttp(server, options.port ?? 0, options.host ?? '127.0.0.1');
  base = `${endpoint}/compute/v1`;
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    restUrl: `${base}/`,
    faults,
    capacity,
    context,
    calls,
    fleet,
    preempt(project, zone, name) {
      const key = `${project}/${zone}/${name}`;
      const instance = context.instances.get(key);
      if (!instance) throw new Error(`no instance ${key} to preempt`);
      const scheduling = instance.scheduling as Json;
      if (scheduling.provisioningModel !== 'SPOT' && scheduling.preemptible !== true) {
        throw new Error(`${key} is not a spot VM; only spot VMs are preempted`);
      }
      instance.status = 'TERMINATED';
      instance.lastStopTimestamp = new Date().toISOString();
      context.events?.halted(key, instance, 'preempt');
      operations.record(
        { project, scope: `zones/${zone}` },
        'compute.instances.preempted',
        { link: String(instance.selfLink), id: String(instance.id) },
        'Instance was preempted.',
      );
      if (scheduling.instanceTerminationAction === 'DELETE') {
        context.instances.delete(key);
        context.guestAttributes.delete(String(instance.id));
        context.serialOutput.delete(String(instance.id));
      }
    },
    close() {
      closed ??= (async () => {
        // The VMs first: their scripts may still be talking to the other fakes.
        if (fleet) await (ownFleet ? fleet.close() : fleet.haltAll('compute/'));
        await new Promise<void>((resolve) => {
          operations.close();
          server.close(() => resolve());
          server.closeAllConnections();
        });
      })();
      return closed;
    },
  };
}

/** `GET zones/*\/instances/*`: the request's path with names replaced, for counting calls by kind. */
function template(method: string, rest: string): string {
  const parts = rest.split('?')[0]!.split('/');
  return `${method} ${parts.map((part, i) => (i % 2 === 1 && !['wait', 'stop', 'start', 'setLabels', 'setMetadata'].includes(part) ? '*' : part)).join('/')}`;
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: ComputeContext,
  faults: FaultInjector,
  calls: Map<string, number>,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = req.url ?? '/';
  const decision = faults.decide(method, url);
  try {
    // The request is received whole before any delay: a slow service still carries out what it was
    // sent, even when the caller is gone by the time it acts (a killed `strato run`).
    const received = method === 'POST' || method === 'PATCH' || method === 'PUT' ? await readJson(req) : {};
    const goOn = await beforeHandling(
      decision,
      req,
      (status, message) => new ComputeHttpError(status, 'backendError', message),
    );
    if (!goOn) return;
    const [pathname, search = ''] = url.split('?') as [string, string?];
    const match = PREFIX.exec(pathname);
    if (!match) throw notFound(pathname);
    const rest = match[2]!;
    const key = template(method, rest);
    calls.set(key, (calls.get(key) ?? 0) + 1);
    const gone = new AbortController();
    res.once('close', () => gone.abort());
    const request: ComputeRequest = {
      method,
      project: decodeURIComponent(match[1]!),
      segments: rest
        .split('/')
        .filter((s) => s !== '')
        .map((s) => decodeURIComponent(s)),
      query: new URLSearchParams(search),
      body: received,
      gone: gone.signal,
    };
    const answer = routeInstances(ctx, request) ?? routeZones(ctx, request) ?? routeGlobal(ctx, request);
    if (!answer) throw notFound(`${method} ${pathname}`);
    const { status, body } = await answer;
    if (decision.terminal === 'reset-after') {
      req.socket.destroy();
      return;
    }
    sendJson(res, status, body);
  } catch (error) {
    sendError(res, error);
  }
}
