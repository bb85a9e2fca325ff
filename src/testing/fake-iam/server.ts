/**
 * A fake IAM and Resource Manager on loopback, one HTTP server for both:
 * IAM v1 service accounts (`/v1/projects/{p}/serviceAccounts…`: create,
 * get, list, patch, delete) and the project IAM policy
 * (`/v1|v3/projects/{p}:getIamPolicy|setIamPolicy`; gcloud speaks v1,
 * Strato v3). gcloud reaches it with `api_endpoint_overrides/iam` and
 * `api_endpoint_overrides/cloudresourcemanager` set to `restUrl`.
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { beforeHandling, type FaultDecision, FaultInjector, type FaultOptions } from '../fake-gcs/faults.ts';
import { listenHttp } from '../listen.ts';
import { ServiceAccounts } from './accounts.ts';
import { GoogleApiError, invalidArgument, notFound } from './errors.ts';
import { ProjectPolicies } from './policies.ts';

export interface FakeIamOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** HTTP faults (503 on the Nth request, resets, delays). */
  faults?: FaultOptions;
}

export interface FakeIam {
  /** `http://127.0.0.1:PORT`: Strato's STRATO_IAM_ENDPOINT and STRATO_RESOURCE_MANAGER_ENDPOINT. */
  endpoint: string;
  /** `http://127.0.0.1:PORT/`: gcloud's `api_endpoint_overrides/iam` and `/cloudresourcemanager`. */
  restUrl: string;
  faults: FaultInjector;
  accounts: ServiceAccounts;
  policies: ProjectPolicies;
  /** Requests answered, by `METHOD template` (e.g. `GET serviceAccounts`, `POST :setIamPolicy`). */
  calls: Map<string, number>;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
/** Accounts per list page at most (the API's pageSize limit). */
const MAX_PAGE = 100;

export async function startFakeIam(options: FakeIamOptions = {}): Promise<FakeIam> {
  const faults = new FaultInjector(options.faults);
  const accounts = new ServiceAccounts();
  const policies = new ProjectPolicies(accounts);
  const calls = new Map<string, number>();
  const route = (method: string, path: string, query: URLSearchParams, body: Json): unknown => {
    const policyCall = /^\/(v1|v3)\/projects\/([^/:]+):(getIamPolicy|setIamPolicy)$/.exec(path);
    if (policyCall && method === 'POST') {
      count(calls, `POST :${policyCall[3]}`);
      const project = decodeURIComponent(policyCall[2]!);
      return policyCall[3] === 'getIamPolicy' ? policies.get(project) : policies.set(project, body.policy);
    }
    const accountCall = /^\/v1\/projects\/([^/]+)\/serviceAccounts(?:\/([^/:]+))?$/.exec(path);
    if (!accountCall) throw notFound(`${method} ${path} is not a method of this fake`);
    const project = decodeURIComponent(accountCall[1]!);
    const key = accountCall[2] === undefined ? undefined : decodeURIComponent(accountCall[2]);
    count(calls, `${method} serviceAccounts${key === undefined ? '' : '/*'}`);
    if (key === undefined && method === 'GET') {
      const all = accounts.list(project);
      const size = Math.min(Number(query.get('pageSize') ?? MAX_PAGE) || MAX_PAGE, MAX_PAGE);
      const start = Number(query.get('pageToken') ?? 0) || 0;
      return {
        accounts: all.slice(start, start + size),
        ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}),
      };
    }
    if (key === undefined && method === 'POST') {
      if (project === '-') throw invalidArgument('A project id is required to create a service account.');
      const fields = (body.serviceAccount ?? {}) as { displayName?: string; description?: string };
      return accounts.create(project, body.accountId, fields);
    }
    if (key !== undefined && method === 'GET') return accounts.get(project, key);
    if (key !== undefined && method === 'PATCH') {
      const fields = (body.serviceAccount ?? {}) as Json;
      return accounts.patch(project, key, fields, String(body.updateMask ?? ''));
    }
    if (key !== undefined && method === 'DELETE') {
      accounts.delete(project, key);
      return {};
    }
    throw notFound(`${method} ${path} is not a method of this fake`);
  };

  const server = createServer((req, res) => void handle(req, res, faults, route));
  const endpoint = await listenHttp(server, options.port ?? 0, options.host ?? '127.0.0.1');
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    restUrl: `${endpoint}/`,
    faults,
    accounts,
    policies,
    calls,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

function count(calls: Map<string, number>, key: string): void {
  calls.set(key, (calls.get(key) ?? 0) + 1);
}

async function readBody(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Json) : {};
  } catch {
    throw invalidArgument('Invalid JSON payload received.');
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': data.length });
  res.end(data);
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  faults: FaultInjector,
  route: (method: string, path: string, query: URLSearchParams, body: Json) => unknown,
): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = req.url ?? '/';
  const decision: FaultDecision = faults.decide(method, url);
  try {
    const goOn = await beforeHandling(
      decision,
      req,
      (status, message) => new GoogleApiError(status, 'UNAVAILABLE', message),
    );
    if (!goOn) return;
    const [pathname, search = ''] = url.split('?') as [string, string?];
    const body = method === 'GET' || method === 'DELETE' ? {} : await readBody(req);
    const answer = route(method, pathname, new URLSearchParams(search), body);
    if (decision.terminal === 'reset-after') {
      req.socket.destroy();
      return;
    }
    send(res, 200, answer);
  } catch (error) {
    const known =
      error instanceof GoogleApiError ? error : new GoogleApiError(500, 'INTERNAL', (error as Error).message);
    send(res, known.code, known.body());
  }
}
