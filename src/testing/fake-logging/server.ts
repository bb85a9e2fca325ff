/**
 * `startFakeLogging()`: Cloud Logging on 127.0.0.1 — gRPC (what
 * `@google-cloud/logging` speaks by default) and REST `/v2/entries:list`,
 * `/v2/entries:write` (what gcloud speaks: `gcloud logging read`,
 * `gcloud ai custom-jobs stream-logs`), over one store of entries.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import type { LogEntryInput, LogEntryRecord } from './entries.ts';
import { loadLoggingService, loggingHandlers } from './grpc.ts';
import { FakeLoggingService, LoggingRpcError } from './service.ts';

/** gRPC status → HTTP status (google/rpc/code.proto mapping), for the codes this fake answers with. */
const HTTP_STATUS: Partial<Record<grpc.status, number>> = {
  [grpc.status.INVALID_ARGUMENT]: 400,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.UNIMPLEMENTED]: 501,
};

/** Request bodies are small JSON; anything larger is refused rather than buffered. */
const MAX_BODY_BYTES = 10 * 1024 * 1024;

export interface FakeLoggingOptions {
  host?: string;
  now?: () => Date;
}

export interface FakeLogging {
  /** `127.0.0.1:PORT` of the gRPC service. */
  endpoint: string;
  /** `http://127.0.0.1:PORT/`: the REST face, for gcloud's `api_endpoint_overrides/logging`. */
  restUrl: string;
  service: FakeLoggingService;
  /** Stores entries as if written through entries:write (the fake Vertex's replicas use this). */
  write(entries: readonly LogEntryInput[]): void;
  /** Every entry received, oldest first. */
  entries(): readonly LogEntryRecord[];
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, error: unknown): void {
  const code = error instanceof LoggingRpcError ? error.code : grpc.status.INTERNAL;
  const http = HTTP_STATUS[code] ?? 500;
  send(res, http, { error: { code: http, message: (error as Error).message, status: grpc.status[code] } });
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new LoggingRpcError(grpc.status.INVALID_ARGUMENT, 'Request body too large.');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text.trim()) return {};
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new LoggingRpcError(grpc.status.INVALID_ARGUMENT, 'Request body is not JSON.');
  }
}

async function route(service: FakeLoggingService, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://fake').pathname;
  if (req.method === 'POST' && path === '/v2/entries:list') {
    const body = await readJson(req);
    const { entries, nextPageToken } = service.list({
      ...body,
      ...(body.pageSize !== undefined ? { pageSize: Number(body.pageSize) } : {}),
    });
    send(res, 200, { entries, ...(nextPageToken ? { nextPageToken } : {}) });
  } else if (req.method === 'POST' && path === '/v2/entries:write') {
    service.write(await readJson(req));
    send(res, 200, {});
  } else {
    req.resume();
    throw new LoggingRpcError(
      grpc.status.UNIMPLEMENTED,
      `fake Cloud Logging has no route for ${req.method} ${path}`,
    );
  }
}

export async function startFakeLogging(options: FakeLoggingOptions = {}): Promise<FakeLogging> {
  const host = options.host ?? '127.0.0.1';
  const service = new FakeLoggingService(options.now);
  const definition = await loadLoggingService();
  const grpcServer = new grpc.Server();
  grpcServer.addService(definition, loggingHandlers(definition, service));
  const grpcPort = await new Promise<number>((resolve, reject) =>
    grpcServer.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );
  const rest: Server = createServer((req, res) => {
    route(service, req, res).catch((error) => sendError(res, error));
  });
  try {
    await new Promise<void>((resolve, reject) => {
      rest.once('error', reject);
      rest.listen(0, host, resolve);
    });
  } catch (error) {
    grpcServer.forceShutdown();
    throw error;
  }
  const { port: restPort } = rest.address() as AddressInfo;
  return {
    endpoint: `${host}:${grpcPort}`,
    restUrl: `http://${host}:${restPort}/`,
    service,
    write: (entries) => service.writeEntries(entries),
    entries: () => service.all(),
    async close() {
      grpcServer.forceShutdown();
      rest.closeAllConnections();
      await new Promise<void>((resolve) => rest.close(() => resolve()));
    },
  };
}
