/**
 * A small HTTP client over kept-alive `http.Agent`s: one connection pool per
 * store, reused across thousands of small requests, which is where the stock
 * clients lose most of their time on many-file uploads.
 */

import {
  type ClientRequest,
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

/**
 * A body sent piece by piece. The next piece is asked for while the current
 * one is being written, and a piece is always written out (handed to the
 * kernel) before the one after the next is asked for: a source may take
 * turns between two buffers.
 */
export interface StreamBody {
  length: number;
  pieces: () => AsyncIterable<Buffer>;
}

export interface HttpRequest {
  method: string;
  url: string;
  headers?: Record<string, string | number>;
  /** Sent with a Content-Length; several buffers are written back to back without copying. */
  body?: Buffer | readonly Buffer[] | StreamBody;
  /** Abandons the request after this long without progress. */
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/**
 * Scheme, host, port and path of an absolute http(s) URL, without building a
 * URL object per request (thousands of small uploads make that show up).
 */
export function splitUrl(url: string): { secure: boolean; hostname: string; port: number; path: string } {
  const match = /^(https?):\/\/(\[[^\]]+\]|[^/:?#]+)(?::(\d+))?([/?][^#]*)?/.exec(url);
  if (!match) throw new Error(`not an http(s) URL: ${url}`);
  const secure = match[1] === 'https';
  const path = match[4] ?? '/';
  return {
    secure,
    hostname: match[2]!.replace(/^\[|\]$/g, ''),
    port: match[3] ? Number(match[3]) : secure ? 443 : 80,
    path: path.startsWith('?') ? `/${path}` : path,
  };
}

/** No response bytes for this long: the connection is treated as dead (a transient error). */
const DEFAULT_TIMEOUT_MS = 120_000;

export class HttpTransport {
  private readonly httpAgent: HttpAgent;
  private readonly httpsAgent: HttpsAgent;

  constructor(options: { maxSockets?: number } = {}) {
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 64,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new HttpAgent(agentOptions);
    this.httpsAgent = new HttpsAgent(agentOptions);
  }

  /** Sends a request and reads the whole response body. */
  async request(req: HttpRequest): Promise<HttpResponse> {
    const res = await this.stream(req);
    const chunks: Buffer[] = [];
    for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
    // Answered before the whole body went out (an error status): the connection cannot carry another request.
    const outgoing = (res as IncomingMessage & { req: ClientRequest }).req;
    if (!outgoing.writableEnded) outgoing.destroy();
    return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
  }

  /** Sends a request and returns the response as it starts arriving (downloads). */
  stream(req: HttpRequest): Promise<IncomingMessage> {
    const { secure, hostname, port, path } = splitUrl(req.url);
    const body = req.body;
    const streamed = body !== undefined && !Buffer.isBuffer(body) && 'pieces' in body ? body : undefined;
    const parts: readonly Buffer[] =
      body === undefined || streamed ? [] : Buffer.isBuffer(body) ? [body] : (body as readonly Buffer[]);
    const length = streamed ? streamed.length : parts.reduce((sum, part) => sum + part.length, 0);
    const send = secure ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const outgoing = send({
        method: req.method,
        hostname,
        port,
        path,
        agent: secure ? this.httpsAgent : this.httpAgent,
        headers: { ...req.headers, 'content-length': length },
        timeout: req.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      });
      outgoing.on('response', resolve);
      outgoing.on('error', reject);
      outgoing.on('timeout', () => {
        outgoing.destroy(
          Object.assign(new Error(`no response from ${hostname} in time`), { code: 'ETIMEDOUT' }),
        );
      });
      if (streamed) {
        pump(outgoing, streamed).catch((error: unknown) => outgoing.destroy(error as Error));
        return;
      }
      if (parts.length > 1) outgoing.cork();
      for (const part of parts) outgoing.write(part);
      outgoing.end();
    });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

/** Writes each piece while the next is read; never more than one write in flight (see StreamBody). */
async function pump(outgoing: ClientRequest, body: StreamBody): Promise<void> {
  let writing: Promise<void> = Promise.resolve();
  for await (const piece of body.pieces()) {
    await writing;
    if (outgoing.destroyed) return; // cut, or answered early: stop reading the source
    writing = new Promise<void>((resolve, reject) => {
      outgoing.write(piece, (error) => (error ? reject(error) : resolve()));
    });
    // The write may fail (EPIPE, ECONNRESET) while the next piece is being read, before
    // anyone awaits it: mark it handled here; it is still awaited (and thrown) above.
    writing.catch(() => {});
  }
  await writing;
  outgoing.end();
}
