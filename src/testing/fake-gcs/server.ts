/**
 * A fake Cloud Storage JSON API server on loopback. It serves what
 * `@google-cloud/storage`, rclone and `gcloud storage` send, both through
 * `apiEndpoint` (paths under `/storage/v1`) and through
 * `STORAGE_EMULATOR_HOST` (the Node client then drops `/storage/v1`).
 */

import { mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { listenHttp } from '../listen.ts';
import { diskBlobStore, memoryBlobStore } from './blobs.ts';
import type { FakeGcsContext, FakeGcsCounters } from './context.ts';
import { GcsHttpError, notFound } from './errors.ts';
import { createExchange, type Exchange, sendError } from './exchange.ts';
import { FaultInjector, type FaultOptions } from './faults.ts';
import { checkPreconditionValues } from './naming.ts';
import { loadIndex, saveIndex } from './persist.ts';
import { routeBucketIam } from './routes-bucket-iam.ts';
import { routeBuckets } from './routes-buckets.ts';
import { routeObjects } from './routes-objects.ts';
import { routeUploads } from './routes-uploads.ts';
import { UploadSessions } from './sessions.ts';
import { GcsState } from './state.ts';

export interface FakeGcsBucket {
  name: string;
  /** Location as GCS names it, e.g. `US-CENTRAL1` or `US`; default `US`. */
  location?: string;
}

export interface FakeGcsOptions {
  /** Keep object bytes (and, on close, the index) under this folder instead of in memory. */
  dataDir?: string;
  faults?: FaultOptions;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: any free port. */
  port?: number;
  /** Buckets to create at start (a name, or a name and location). */
  buckets?: (string | FakeGcsBucket)[];
  /** Called once per answered request (`strato fake-cloud --verbose` prints these). */
  onRequest?: (entry: RequestLogEntry) => void;
}

export interface RequestLogEntry {
  method: string;
  url: string;
  /** 0 when the connection was cut before an answer (a reset fault, or the client went away). */
  status: number;
}

export interface FakeGcs {
  /** `http://127.0.0.1:PORT`: use as `apiEndpoint` or `STORAGE_EMULATOR_HOST`. */
  endpoint: string;
  state: GcsState;
  faults: FaultInjector;
  counters: FakeGcsCounters;
  close(): Promise<void>;
}

export async function startFakeGcs(options: FakeGcsOptions = {}): Promise<FakeGcs> {
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const state = new GcsState(options.dataDir ? diskBlobStore(options.dataDir) : memoryBlobStore());
  if (options.dataDir) await loadIndex(state, options.dataDir);
  for (const bucket of options.buckets ?? []) {
    const { name, location } = typeof bucket === 'string' ? { name: bucket, location: undefined } : bucket;
    if (!state.buckets.has(name)) state.createBucket(name, location ? { location } : {});
  }
  const faults = new FaultInjector(options.faults);
  const ctx: FakeGcsContext = {
    state,
    sessions: new UploadSessions(),
    counters: { uploadedBytes: 0, objectsCreated: 0 },
    listingJson: new WeakMap(),
  };
  const timers = new Set<NodeJS.Timeout>();
  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    if (options.onRequest) logRequest(req, res, options.onRequest);
    void handle(req, res, ctx, faults, timers);
  });
  const endpoint = await listenHttp(server, options.port ?? 0, options.host ?? '127.0.0.1');
  let closed: Promise<void> | undefined;
  return {
    endpoint,
    state,
    faults,
    counters: ctx.counters,
    close() {
      closed ??= (async () => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await ctx.sessions.close();
        if (options.dataDir) await saveIndex(state, options.dataDir);
      })();
      return closed;
    },
  };
}

function logRequest(req: IncomingMessage, res: ServerResponse, onRequest: (entry: RequestLogEntry) => void) {
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  res.once('close', () => onRequest({ method, url, status: res.headersSent ? res.statusCode : 0 }));
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: FakeGcsContext,
  faults: FaultInjector,
  timers: Set<NodeJS.Timeout>,
): Promise<void> {
  const decision = faults.decide((req.method ?? 'GET').toUpperCase(), req.url ?? '/');
  if (decision.delayMs > 0) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        resolve();
      }, decision.delayMs);
      timers.add(timer);
    });
    if (req.socket.destroyed) return;
  }
  if (decision.terminal === 'reset') {
    req.socket.destroy();
    return;
  }
  let ex: Exchange | undefined;
  try {
    ex = createExchange(req, res, `http://${req.headers.host ?? 'localhost'}`);
    if (decision.terminal === 'reset-after') ex.dropResponse = true;
    if (typeof decision.terminal === 'object') {
      throw new GcsHttpError(
        decision.terminal.status,
        'backendError',
        `injected fault: HTTP ${decision.terminal.status}`,
      );
    }
    if (!(await route(ex, ctx))) throw notFound(`no route for ${ex.method} ${req.url}`);
  } catch (error) {
    const gcsError =
      error instanceof GcsHttpError ? error : new GcsHttpError(500, 'backendError', (error as Error).message);
    if (ex) sendError(ex, gcsError);
    else if (!res.headersSent) {
      res.writeHead(gcsError.status, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(gcsError.body()));
    }
  }
}

async function route(ex: Exchange, ctx: FakeGcsContext): Promise<boolean> {
  const s = ex.segments;
  // Every method parses its preconditions as int64s first: a non-numeric one is a 400, never ignored.
  checkPreconditionValues(ex.query);
  if (s[0] === 'upload' && s[1] === 'storage' && s[2] === 'v1') return routeUploads(ex, ctx, s.slice(3));
  // gcloud starts resumable sessions under /resumable/upload/storage/v1.
  if (s[0] === 'resumable' && s[1] === 'upload' && s[2] === 'storage' && s[3] === 'v1') {
    return routeUploads(ex, ctx, s.slice(4));
  }
  const api =
    s[0] === 'storage' && s[1] === 'v1'
      ? s.slice(2)
      : s[0] === 'download' && s[1] === 'storage' && s[2] === 'v1'
        ? s.slice(3)
        : s[0] === 'b'
          ? s
          : undefined;
  if (api?.[0] !== 'b') return false;
  return (
    (await routeBucketIam(ex, ctx, api)) ||
    (await routeBuckets(ex, ctx, api)) ||
    (await routeObjects(ex, ctx, api))
  );
}
