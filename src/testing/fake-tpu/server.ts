/**
 * The fake Cloud TPU API v2 over HTTP/1.1 + JSON on loopback: the REST
 * surface that both `gcloud compute tpus …` and `@google-cloud/tpu` with
 * `fallback: true` speak. Paths are the `google.api.http` rules of
 * google/cloud/tpu/v2/cloud_tpu.proto (`/v2/projects/P/locations/Z/...`);
 * bodies are proto3 JSON.
 *
 * Why REST and no gRPC face: gcloud only speaks REST, so a REST face is
 * needed anyway, and the TpuClient speaks the same REST (the gax "fallback"
 * transport) with one option; a second, gRPC face over the same state
 * would double the surface to keep faithful for no client that needs it.
 * Strato's TPU driver uses the client's REST fallback (see
 * src/infra/gcp/tpu-client.ts).
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { sleep } from '../../internal/sleep.ts';
import { type FakeVmOptions, fleetOf, type VmFleet } from '../fake-vm/fleet.ts';
import { tpuGuests } from '../fake-vm/tpu-guests.ts';
import { listenHttp } from '../listen.ts';
import { ApiError, injectedError } from './errors.ts';
import { type FakeTpuFaults, TpuFaultBook } from './faults.ts';
import { type GuestAttribute, Nodes } from './nodes.ts';
import { Operations, Scheduler } from './operations.ts';
import { QueuedResources } from './queued.ts';
import {
  acceleratorTypesIn,
  defaultTopology,
  FAKE_ZONES,
  findAcceleratorType,
  runtimesIn,
} from './tables.ts';
import type { NodeJson, QueuedResourceJson } from './types.ts';
import { locationOf } from './validate.ts';

export interface FakeTpuTiming {
  /** A queued resource's ACCEPTED → WAITING_FOR_RESOURCES (and SUSPENDING → SUSPENDED). */
  acceptMs: number;
  /** A node's CREATING → READY (a queued resource's PROVISIONING → ACTIVE). */
  provisionMs: number;
  /** Other operations: create accepted, stop, start, update, delete. */
  operationMs: number;
}

/** Quick enough to try by hand, slow enough to see every state in `gcloud … describe`. */
export const DEFAULT_TPU_TIMING: FakeTpuTiming = { acceptMs: 500, provisionMs: 2000, operationMs: 300 };

export interface FakeTpuOptions {
  host?: string;
  port?: number;
  timing?: Partial<FakeTpuTiming>;
  faults?: FakeTpuFaults;
  /**
   * Fake VMs that really boot: a READY node runs its `startup-script` on one
   * local VM per worker host (fake-vm/). `true` or options: a fleet of its
   * own, shut down at close; a `VmFleet`: one shared with other fakes (its
   * owner closes it). Off by default: nodes are records only.
   */
  boot?: boolean | FakeVmOptions | VmFleet;
}

export interface FakeTpu {
  /** REST base, `http://127.0.0.1:PORT/` (what `api_endpoint_overrides/tpu` takes). */
  url: string;
  timing: FakeTpuTiming;
  faults: TpuFaultBook;
  /** Requests served, by `METHOD route` (e.g. `GET queuedResources.list`), to count API calls. */
  calls: Record<string, number>;
  /**
   * Preempts a spot or preemptible slice, by the full name of its queued
   * resource or of its node: the node PREEMPTED and, for a queued resource,
   * that SUSPENDING then SUSPENDED.
   */
  preempt(name: string): void;
  setGuestAttribute(nodeName: string, worker: number, attribute: GuestAttribute): void;
  getNode(name: string): NodeJson;
  listQueuedResources(parent: string): QueuedResourceJson[];
  /** The fake VMs, when booting is on. */
  fleet: VmFleet | undefined;
  close(): Promise<void>;
}

function page<T>(items: T[], url: URL): { items: T[]; nextPageToken?: string } {
  const size = Number(url.searchParams.get('pageSize') ?? url.searchParams.get('page_size') ?? 0);
  const start = Number(url.searchParams.get('pageToken') ?? url.searchParams.get('page_token') ?? 0) || 0;
  if (!size || start + size >= items.length) return { items: items.slice(start) };
  return { items: items.slice(start, start + size), nextPageToken: String(start + size) };
}

function param(url: URL, camel: string): string | undefined {
  const snake = camel.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return url.searchParams.get(camel) ?? url.searchParams.get(snake) ?? undefined;
}

interface Handlers {
  nodes: Nodes;
  queued: QueuedResources;
  operations: Operations;
}

function acceleratorTypeJson(parent: string, type: string) {
  const found = findAcceleratorType(type)!;
  return {
    name: `${parent}/acceleratorTypes/${type}`,
    type,
    acceleratorConfigs: [
      { type: found.generation.configType, topology: defaultTopology(found.generation, found.size) },
    ],
  };
}

/** Answers one request: [JSON body, route name for `calls`]; throws ApiError for an error answer. */
function route(h: Handlers, method: string, url: URL, body: Record<string, unknown>): [unknown, string] {
  const path = decodeURIComponent(url.pathname).replace(/^\/v2\//, '');
  if (path === url.pathname)
    throw new ApiError('NOT_FOUND', `fake Cloud TPU serves /v2/ only, not ${url.pathname}`);
  const collection = /^(projects\/[^/]+\/locations\/[^/]+)\/(\w+)$/.exec(path);
  const item = /^((projects\/[^/]+\/locations\/[^/]+)\/(\w+)\/[^/:]+)(?::(\w+))?$/.exec(path);
  if (collection) {
    const [, parent, kind] = collection as unknown as [string, string, string];
    const key = `${kind}.${method === 'GET' ? 'list' : 'create'}`;
    switch (`${method} ${kind}`) {
      case 'GET nodes': {
        const { items, nextPageToken } = page(h.nodes.list(parent), url);
        return [{ nodes: items, ...(nextPageToken ? { nextPageToken } : {}) }, key];
      }
      case 'POST nodes':
        return [h.nodes.create(parent, param(url, 'nodeId'), body as NodeJson), key];
      case 'GET queuedResources': {
        const { items, nextPageToken } = page(h.queued.list(parent), url);
        return [{ queuedResources: items, ...(nextPageToken ? { nextPageToken } : {}) }, key];
      }
      case 'POST queuedResources':
        return [h.queued.create(parent, param(url, 'queuedResourceId'), body as QueuedResourceJson), key];
      case 'GET operations':
        locationOf(parent);
        return [{ operations: h.operations.list(parent) }, key];
      case 'GET acceleratorTypes': {
        const { zone } = locationOf(parent);
        const { items, nextPageToken } = page(acceleratorTypesIn(zone), url);
        return [
          {
            acceleratorTypes: items.map((t) => acceleratorTypeJson(parent, t)),
            ...(nextPageToken ? { nextPageToken } : {}),
          },
          key,
        ];
      }
      case 'GET runtimeVersions': {
        const { zone } = locationOf(parent);
        const { items, nextPageToken } = page(runtimesIn(zone), url);
        return [
          {
            runtimeVersions: items.map((v) => ({ name: `${parent}/runtimeVersions/${v}`, version: v })),
            ...(nextPageToken ? { nextPageToken } : {}),
          },
          key,
        ];
      }
    }
  } else if (item) {
    const [, name, parent, kind, verb] = item as unknown as [
      string,
      string,
      string,
      string,
      string | undefined,
    ];
    const id = name.split('/').at(-1)!;
    const key = `${kind}.${verb ?? { GET: 'get', DELETE: 'delete', PATCH: 'patch' }[method] ?? method}`;
    switch (`${method} ${kind}${verb ? `:${verb}` : ''}`) {
      case 'GET nodes':
        return [h.nodes.get(name), key];
      case 'DELETE nodes':
        return [h.nodes.delete(name), key];
      case 'PATCH nodes':
        return [h.nodes.update(name, param(url, 'updateMask') ?? '', body as NodeJson), key];
      case 'POST nodes:stop':
        return [h.nodes.transition(name, 'stop'), key];
      case 'POST nodes:start':
        return [h.nodes.transition(name, 'start'), key];
      case 'POST nodes:getGuestAttributes':
        return [
          h.nodes.guestAttributes(
            name,
            body.queryPath as string | undefined,
            body.workerIds as string[] | undefined,
          ),
          key,
        ];
      case 'GET queuedResources':
        return [h.queued.get(name), key];
      case 'DELETE queuedResources':
        return [h.queued.delete(name, param(url, 'force') === 'true'), key];
      case 'POST queuedResources:reset':
        return [h.queued.reset(name), key];
      case 'GET operations':
        return [h.operations.get(name), key];
      case 'GET acceleratorTypes': {
        const { zone } = locationOf(parent);
        if (!acceleratorTypesIn(zone).includes(id))
          throw new ApiError('NOT_FOUND', `Accelerator type '${name}' was not found`);
        return [acceleratorTypeJson(parent, id), key];
      }
      case 'GET runtimeVersions': {
        const { zone } = locationOf(parent);
        if (!runtimesIn(zone).includes(id))
          throw new ApiError('NOT_FOUND', `Runtime version '${name}' was not found`);
        return [{ name, version: id }, key];
      }
    }
  } else if (method === 'GET' && /^projects\/[^/]+\/locations$/.test(path)) {
    const project = path.split('/')[1];
    return [
      {
        locations: FAKE_ZONES.map((zone) => ({
          name: `projects/${project}/locations/${zone}`,
          locationId: zone,
        })),
      },
      'locations.list',
    ];
  }
  throw new ApiError('UNIMPLEMENTED', `fake Cloud TPU has no route for ${method} ${url.pathname}`);
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ApiError('INVALID_ARGUMENT', 'Invalid JSON payload received');
  }
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

export async function startFakeTpu(options: FakeTpuOptions = {}): Promise<FakeTpu> {
  const timing: FakeTpuTiming = { ...DEFAULT_TPU_TIMING, ...options.timing };
  const faults = new TpuFaultBook(options.faults);
  const scheduler = new Scheduler();
  const operations = new Operations();
  const nodeTiming = () => ({
    provisionMs: timing.provisionMs,
    operationMs: timing.operationMs + faults.operationDelayMs,
  });
  const nodes = new Nodes(operations, scheduler, nodeTiming);
  const { fleet, own: ownFleet } = fleetOf(options.boot);
  if (fleet) nodes.events = tpuGuests(nodes, fleet);
  const queued = new QueuedResources(operations, scheduler, nodes, faults, () => timing);
  const calls: Record<string, number> = {};
  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const method = req.method ?? 'GET';
    try {
      const body = await readBody(req);
      const decision = faults.onRequest(method, `${url.pathname}${url.search}`);
      if (decision.delayMs) await sleep(decision.delayMs);
      if (decision.status && !decision.afterHandling) {
        send(res, decision.status, injectedError(decision.status));
        return;
      }
      const [answer, key] = route({ nodes, queued, operations }, method, url, body);
      if (decision.status) {
        send(res, decision.status, injectedError(decision.status));
        return;
      }
      calls[`${method} ${key}`] = (calls[`${method} ${key}`] ?? 0) + 1;
      send(res, 200, answer);
    } catch (error) {
      if (error instanceof ApiError) send(res, error.httpStatus, error.toJSON());
      else send(res, 500, { error: { code: 500, message: String(error), status: 'INTERNAL' } });
    }
  });
  const host = options.host ?? '127.0.0.1';
  const endpoint = await listenHttp(server, options.port ?? 0, host);
  return {
    url: `${endpoint}/`,
    timing,
    faults,
    calls,
    preempt(name) {
      const queuedName = name.includes('/nodes/') ? nodes.get(name).queuedResource : name;
      if (queuedName) queued.preempt(queuedName);
      else nodes.preempt(name);
    },
    setGuestAttribute: (name, worker, attribute) => nodes.setGuestAttribute(name, worker, attribute),
    getNode: (name) => nodes.get(name),
    listQueuedResources: (parent) => queued.list(parent),
    fleet,
    close: async () => {
      // The VMs first: their scripts may still be talking to the other fakes.
      if (fleet) await (ownFleet ? fleet.close() : fleet.haltAll('tpu/'));
      await new Promise<void>((resolve) => {
        scheduler.close();
        server.closeAllConnections();
        server.close(() => resolve());
      });
    },
  };
}
