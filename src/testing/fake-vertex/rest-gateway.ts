/**
 * The REST face of the fake (`/v1/...`, JSON), which `gcloud ai custom-jobs`
 * speaks: create (validated as the gRPC face validates), list, describe,
 * cancel, delete and operation polling, over the same jobs as the gRPC face. JSON follows the proto3 mapping: timestamps as
 * RFC 3339 strings, durations as `"Ns"`, 64-bit integers as strings.
 * (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs)
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { status } from '@grpc/grpc-js';
import { listenHttp } from '../listen.ts';
import type { CustomJobMessage, DurationMessage, OperationMessage, TimestampMessage } from './messages.ts';
import { dateOf } from './messages.ts';
import { customJobFromJson } from './rest-json.ts';
import { type FakeJobService, RpcError } from './service.ts';

/** A CustomJob body is a few kilobytes; anything far larger is refused, not buffered. */
const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** gRPC status → HTTP status (google/rpc/code.proto mapping). */
const HTTP_STATUS: Partial<Record<status, number>> = {
  [status.INVALID_ARGUMENT]: 400,
  [status.FAILED_PRECONDITION]: 400,
  [status.OUT_OF_RANGE]: 400,
  [status.UNAUTHENTICATED]: 401,
  [status.PERMISSION_DENIED]: 403,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.ABORTED]: 409,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.CANCELLED]: 499,
  [status.UNIMPLEMENTED]: 501,
  [status.UNAVAILABLE]: 503,
  [status.DEADLINE_EXCEEDED]: 504,
};

function timestampJson(t: TimestampMessage | undefined): string | undefined {
  return dateOf(t)?.toISOString();
}

function durationJson(d: DurationMessage | undefined): string | undefined {
  if (!d) return undefined;
  const nanos = d.nanos ?? 0;
  return nanos ? `${Number(d.seconds ?? 0) + nanos / 1e9}s` : `${d.seconds ?? 0}s`;
}

/** A stored CustomJob as REST JSON. */
export function customJobJson(job: CustomJobMessage): Record<string, unknown> {
  const { createTime, startTime, endTime, updateTime, jobSpec, ...rest } = job;
  const scheduling = jobSpec?.scheduling;
  return {
    ...rest,
    ...(jobSpec
      ? {
          jobSpec: {
            ...jobSpec,
            workerPoolSpecs: jobSpec.workerPoolSpecs?.map(({ task: _task, replicaCount, ...pool }) => ({
              ...pool,
              ...(replicaCount !== undefined ? { replicaCount: String(replicaCount) } : {}),
            })),
            ...(scheduling
              ? {
                  scheduling: {
                    ...scheduling,
                    timeout: durationJson(scheduling.timeout),
                    maxWaitDuration: durationJson(scheduling.maxWaitDuration),
                  },
                }
              : {}),
          },
        }
      : {}),
    createTime: timestampJson(createTime),
    startTime: timestampJson(startTime),
    endTime: timestampJson(endTime),
    updateTime: timestampJson(updateTime),
  };
}

function operationJson(operation: OperationMessage): Record<string, unknown> {
  const anyJson = (type: string | undefined) => (type ? { '@type': type } : undefined);
  return {
    name: operation.name,
    metadata: anyJson(operation.metadata?.typeUrl),
    done: operation.done,
    response: anyJson(operation.response?.typeUrl),
  };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: unknown): void {
  const code = error instanceof RpcError ? error.code : status.INTERNAL;
  const message = error instanceof Error ? error.message : String(error);
  send(res, HTTP_STATUS[code] ?? 500, {
    error: { code: HTTP_STATUS[code] ?? 500, message, status: status[code] },
  });
}

function parseBody(body: string): unknown {
  try {
    return body.trim() ? JSON.parse(body) : {};
  } catch {
    throw new RpcError(status.INVALID_ARGUMENT, 'Invalid JSON payload received.');
  }
}

function route(service: FakeJobService, req: IncomingMessage, res: ServerResponse, body: string): void {
  const url = new URL(req.url ?? '/', 'http://fake');
  const path = decodeURIComponent(url.pathname).replace(/^\/v1\//, '');
  const method = req.method ?? 'GET';
  const list = /^(projects\/[^/]+\/locations\/[^/]+)\/customJobs$/.exec(path);
  const cancel = /^(projects\/[^/]+\/locations\/[^/]+\/customJobs\/[^/]+):cancel$/.exec(path);
  if (method === 'POST' && list) {
    const created = service.create({ parent: list[1]!, customJob: customJobFromJson(parseBody(body)) });
    send(res, 200, customJobJson(created));
  } else if (method === 'GET' && list) {
    const { customJobs, nextPageToken } = service.list({
      parent: list[1]!,
      filter: url.searchParams.get('filter') ?? undefined,
      pageSize: Number(url.searchParams.get('pageSize') ?? 0),
      pageToken: url.searchParams.get('pageToken') ?? undefined,
    });
    send(res, 200, {
      customJobs: customJobs.map(customJobJson),
      ...(nextPageToken ? { nextPageToken } : {}),
    });
  } else if (method === 'POST' && cancel) {
    service.cancel(cancel[1]);
    send(res, 200, {});
  } else if (method === 'GET' && path.includes('/operations/')) {
    send(res, 200, operationJson(service.getOperation(path)));
  } else if (method === 'GET' && path.includes('/customJobs/')) {
    send(res, 200, customJobJson(service.get(path)));
  } else if (method === 'DELETE' && path.includes('/customJobs/')) {
    send(res, 200, operationJson(service.delete(path)));
  } else {
    throw new RpcError(
      status.UNIMPLEMENTED,
      `fake Vertex REST gateway has no route for ${method} ${url.pathname}`,
    );
  }
}

export interface RestGateway {
  url: string;
  close(): Promise<void>;
}

export async function startRestGateway(service: FakeJobService, host: string): Promise<RestGateway> {
  const server: Server = createServer((req, res) => {
    // Only create reads its body; the others (cancel's empty JSON) are read and dropped.
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) {
        sendError(res, new RpcError(status.INVALID_ARGUMENT, 'Request payload too large.'));
        return;
      }
      const fault = service.faults.onCall(`REST ${req.method}`);
      if (fault && typeof fault === 'object' && 'code' in fault) {
        sendError(res, new RpcError(fault.code, fault.message ?? 'fake Vertex: injected fault'));
        return;
      }
      try {
        route(service, req, res, Buffer.concat(chunks).toString('utf8'));
      } catch (error) {
        sendError(res, error);
      }
    });
  });
  const endpoint = await listenHttp(server, 0, host);
  return {
    url: `${endpoint}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
