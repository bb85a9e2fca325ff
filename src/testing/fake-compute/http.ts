/** One request to the fake Compute Engine: its matched path, query, JSON body and the answer helpers. */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { badRequest, ComputeHttpError } from './errors.ts';
import type { Json } from './operations.ts';

export interface ComputeRequest {
  method: string;
  /** Path segments after `/compute/v1/projects/{project}/`. */
  segments: string[];
  project: string;
  query: URLSearchParams;
  /** The parsed JSON body; `{}` when there is none. */
  body: Json;
  /** Aborts when the client goes away (a `wait` stops holding the request). */
  gone: AbortSignal;
}

export async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badRequest('Invalid JSON payload received.');
  }
  // The client library sends `""` as the body of a POST without one (stop, start, wait).
  return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Json) : {};
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent || res.destroyed) return;
  const data = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', 'content-length': data.length });
  res.end(data);
}

export function sendError(res: ServerResponse, error: unknown): void {
  const known =
    error instanceof ComputeHttpError
      ? error
      : new ComputeHttpError(500, 'backendError', (error as Error).message);
  sendJson(res, known.status, known.body());
}

/** One page of `items` (`maxResults`, `pageToken` as an offset), with the list envelope. */
export function page(request: ComputeRequest, kind: string, selfLink: string, items: Json[]): Json {
  const max = Math.min(Number(request.query.get('maxResults') ?? 500) || 500, 500);
  const start = Number(request.query.get('pageToken') ?? 0) || 0;
  const slice = items.slice(start, start + max);
  return {
    kind,
    id: selfLink.replace(/^.*\/projects\//, 'projects/'),
    items: slice,
    selfLink,
    ...(start + max < items.length ? { nextPageToken: String(start + max) } : {}),
  };
}
