/** One request and its response, with the helpers every route uses. */

import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { badRequest, GcsHttpError } from './errors.ts';
import { selectFields } from './fields.ts';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  /** Path segments, each percent-decoded (an encoded `/` stays inside its segment). */
  segments: string[];
  query: URLSearchParams;
  /** `http://127.0.0.1:PORT`, for self links and session URIs. */
  baseUrl: string;
  /** Set by the `reset-after` fault: handle the request, then cut the connection instead of answering. */
  dropResponse: boolean;
}

export function createExchange(req: IncomingMessage, res: ServerResponse, baseUrl: string): Exchange {
  const raw = req.url ?? '/';
  const queryAt = raw.indexOf('?');
  const pathname = queryAt === -1 ? raw : raw.slice(0, queryAt);
  let segments: string[];
  try {
    segments = pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    throw badRequest(`malformed path ${pathname}`);
  }
  return {
    req,
    res,
    method: (req.method ?? 'GET').toUpperCase(),
    segments,
    query: new URLSearchParams(queryAt === -1 ? '' : raw.slice(queryAt + 1)),
    baseUrl,
    dropResponse: false,
  };
}

/** Writes the status line and headers, unless the response is to be dropped; says whether to go on. */
function start(ex: Exchange, status: number, headers: OutgoingHttpHeaders, message?: string): boolean {
  if (ex.dropResponse) {
    ex.req.socket.destroy();
    return false;
  }
  if (ex.res.headersSent || ex.res.destroyed) return false;
  if (message) ex.res.statusMessage = message;
  ex.res.writeHead(status, headers);
  return true;
}

export function sendJson(
  ex: Exchange,
  status: number,
  body: unknown,
  headers: OutgoingHttpHeaders = {},
): void {
  const selected = status < 300 ? selectFields(body, ex.query.get('fields')) : body;
  const data = Buffer.from(JSON.stringify(selected));
  // teeny-request (used by @google-cloud/storage) parses JSON only for this exact content type.
  const all = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': data.length,
    ...headers,
  };
  if (start(ex, status, all)) ex.res.end(data);
}

/** JSON already serialised (listings assemble theirs from cached pieces). */
export function sendJsonText(ex: Exchange, status: number, text: string): void {
  const data = Buffer.from(text);
  const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': data.length };
  if (start(ex, status, headers)) ex.res.end(data);
}

export function sendEmpty(
  ex: Exchange,
  status: number,
  headers: OutgoingHttpHeaders = {},
  message?: string,
): void {
  if (start(ex, status, { 'content-length': 0, ...headers }, message)) ex.res.end();
}

export function sendError(ex: Exchange, error: GcsHttpError): void {
  sendJson(ex, error.status, error.body());
}

export async function sendStream(
  ex: Exchange,
  status: number,
  headers: OutgoingHttpHeaders,
  body: Readable,
): Promise<void> {
  if (!start(ex, status, headers)) {
    body.destroy();
    return;
  }
  try {
    await pipeline(body, ex.res);
  } catch {
    // The client went away mid-download; nothing to answer.
  }
}

/** The whole request body; refuses bodies over `limit` bytes. */
export async function readBody(ex: Exchange, limit = 256 * 1024 * 1024): Promise<Buffer> {
  const declared = Number(ex.req.headers['content-length']);
  if (declared > limit) throw new GcsHttpError(413, 'uploadTooLarge', `request body over ${limit} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ex.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new GcsHttpError(413, 'uploadTooLarge', `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

/**
 * Feeds the request body to `take` piece by piece as it arrives, pausing the
 * socket while a promise `take` returned is pending. Cheaper than `for await`
 * over the request, which makes promises for every 64 KiB read (it showed in
 * profiles of GiB uploads). Resolves true once the whole body is in, false
 * when the client went away or `take` failed (the request is then dropped).
 */
export function forEachBodyPiece(
  req: IncomingMessage,
  take: (piece: Buffer) => Promise<unknown> | undefined,
): Promise<boolean> {
  // Already over (the request waited its turn on a session): no events will come.
  if (req.readableEnded) return Promise.resolve(req.complete);
  if (req.destroyed) return Promise.resolve(false);
  return new Promise((resolve) => {
    let waiting: Promise<unknown> | undefined;
    let settled = false;
    const settle = (complete: boolean) => {
      if (settled) return;
      settled = true;
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onGone);
      req.off('error', onGone);
      // A piece still being taken in counts once it is in.
      if (waiting)
        waiting.then(
          () => resolve(complete),
          () => resolve(false),
        );
      else resolve(complete);
    };
    const abandon = () => {
      settle(false);
      req.destroy();
    };
    const onData = (piece: Buffer) => {
      let pending: Promise<unknown> | undefined;
      try {
        pending = take(piece);
      } catch {
        abandon();
        return;
      }
      if (!pending) return;
      req.pause();
      waiting = pending.then(
        () => {
          waiting = undefined;
          if (!settled) req.resume();
        },
        () => {
          waiting = undefined;
          abandon();
        },
      );
    };
    const onEnd = () => settle(req.complete);
    const onGone = () => settle(false);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('close', onGone);
    req.on('error', onGone);
  });
}

export async function readJson<T>(ex: Exchange): Promise<T> {
  const body = await readBody(ex, 16 * 1024 * 1024);
  if (body.length === 0) return {} as T;
  try {
    return JSON.parse(body.toString('utf8')) as T;
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}

/** Query flags that are on when present and not "false". */
export function flag(query: URLSearchParams, name: string): boolean {
  const value = query.get(name);
  return value !== null && value !== 'false';
}

export function preconditionsOf(query: URLSearchParams) {
  const pick = (name: string) => query.get(name) ?? undefined;
  return {
    ifGenerationMatch: pick('ifGenerationMatch'),
    ifGenerationNotMatch: pick('ifGenerationNotMatch'),
    ifMetagenerationMatch: pick('ifMetagenerationMatch'),
    ifMetagenerationNotMatch: pick('ifMetagenerationNotMatch'),
  };
}
