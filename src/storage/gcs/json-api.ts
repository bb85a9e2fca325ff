/**
 * The Cloud Storage JSON API calls Strato makes, straight over a kept-alive
 * connection pool (https://cloud.google.com/storage/docs/json_api/v1).
 * Every call says whether it is safe to repeat; only those are retried.
 */

import type { IncomingMessage } from 'node:http';
import type { FailureBudget } from '../../internal/failure-budget.ts';
import { type RetryPolicy, withRetry } from '../../internal/retry.ts';
import type { HttpResponse, HttpTransport, StreamBody } from '../http-transport.ts';
import type { ListOptions } from '../types.ts';
import { errorFromNetwork, errorFromResponse, GcsRequestError, isTransient } from './errors.ts';

/** The object fields Strato reads (https://cloud.google.com/storage/docs/json_api/v1/objects#resource). */
export interface ObjectResource {
  name: string;
  bucket?: string;
  generation: string;
  metageneration: string;
  size: string;
  crc32c?: string;
  md5Hash?: string;
  contentType?: string;
  updated?: string;
  metadata?: Record<string, string>;
}

export interface BucketResource {
  name: string;
  location: string;
  locationType?: string;
}

export interface ObjectFields {
  contentType?: string;
  metadata?: Record<string, string>;
  crc32c?: string;
  md5Hash?: string;
}

export type UploadStatus =
  | { state: 'incomplete'; committed: number }
  | { state: 'done'; object: ObjectResource }
  | { state: 'gone' };

export interface GcsJsonApiConfig {
  /** `https://storage.googleapis.com`, or a fake's `http://127.0.0.1:PORT`. */
  endpoint: string;
  http: HttpTransport;
  authHeaders: () => Promise<Record<string, string>>;
  retry: RetryPolicy;
  /** Shared by every call through this API object: a dead endpoint stops all of them fast. */
  budget?: FailureBudget;
}

interface Call {
  method: string;
  /** Path and query after the endpoint, or an absolute URL (resumable session URIs). */
  path: string;
  headers?: Record<string, string | number>;
  body?: Buffer | readonly Buffer[] | StreamBody;
  idempotent: boolean;
  /** Statuses returned to the caller instead of thrown (besides 2xx). */
  expect?: readonly number[];
  what: string;
}

/** Object fields Strato reads; asking for only these makes each answer smaller (partial responses). */
const OBJECT_FIELDS = 'name,bucket,size,generation,metageneration,crc32c,md5Hash,updated,metadata';
const LIST_FIELDS = 'items(name,size,generation,crc32c,md5Hash,updated,metadata),prefixes,nextPageToken';
const BRIEF_LIST_FIELDS = 'items(name,size,generation,crc32c,metadata),prefixes,nextPageToken';

const enc = encodeURIComponent;

export class GcsJsonApi {
  private readonly config: GcsJsonApiConfig;

  constructor(config: GcsJsonApiConfig) {
    this.config = config;
  }

  get endpoint(): string {
    return this.config.endpoint;
  }

  /** The failure budget every call through this API shares, if any. */
  get budget(): FailureBudget | undefined {
    return this.config.budget;
  }

  private url(path: string): string {
    return /^https?:\/\//.test(path) ? path : `${this.config.endpoint}${path}`;
  }

  /** One request with retries; a 2xx or an expected status comes back, anything else throws. */
  async call(call: Call): Promise<HttpResponse> {
    return withRetry(
      this.config.retry,
      async () => {
        let res: HttpResponse;
        try {
          res = await this.config.http.request({
            method: call.method,
            url: this.url(call.path),
            headers: { ...(await this.config.authHeaders()), 'user-agent': 'strato', ...call.headers },
            ...(call.body ? { body: call.body } : {}),
          });
        } catch (error) {
          throw errorFromNetwork(error, call.what);
        }
        if ((res.status >= 200 && res.status < 300) || call.expect?.includes(res.status)) return res;
        throw errorFromResponse(res.status, res.body, call.what);
      },
      {
        shouldRetry: (error) => call.idempotent && isTransient(error),
        ...(this.config.budget ? { budget: this.config.budget } : {}),
      },
    );
  }

  async findBucket(bucket: string): Promise<BucketResource | undefined> {
    const res = await this.call({
      method: 'GET',
      path: `/storage/v1/b/${enc(bucket)}`,
      idempotent: true,
      expect: [404],
      what: `get bucket gs://${bucket}`,
    });
    return res.status === 404 ? undefined : (json(res) as BucketResource);
  }

  async createBucket(
    bucket: string,
    options: { project: string; location?: string },
  ): Promise<BucketResource> {
    const res = await this.call({
      method: 'POST',
      path: `/storage/v1/b?project=${enc(options.project)}`,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(
        JSON.stringify({ name: bucket, ...(options.location ? { location: options.location } : {}) }),
      ),
      idempotent: false,
      what: `create bucket gs://${bucket}`,
    });
    return json(res) as BucketResource;
  }

  async listObjects(
    bucket: string,
    options: ListOptions,
  ): Promise<{ items: ObjectResource[]; prefixes: string[]; nextPageToken?: string }> {
    const query = new URLSearchParams({ fields: options.brief ? BRIEF_LIST_FIELDS : LIST_FIELDS });
    if (options.prefix) query.set('prefix', options.prefix);
    if (options.delimiter) query.set('delimiter', options.delimiter);
    if (options.pageToken) query.set('pageToken', options.pageToken);
    if (options.maxResults) query.set('maxResults', String(options.maxResults));
    if (options.startOffset) query.set('startOffset', options.startOffset);
    if (options.endOffset) query.set('endOffset', options.endOffset);
    if (options.matchGlob) query.set('matchGlob', options.matchGlob);
    const res = await this.call({
      method: 'GET',
      path: `/storage/v1/b/${enc(bucket)}/o?${query}`,
      idempotent: true,
      what: `list gs://${bucket}/${options.prefix ?? ''}`,
    });
    const page = json(res) as { items?: ObjectResource[]; prefixes?: string[]; nextPageToken?: string };
    return {
      items: page.items ?? [],
      prefixes: page.prefixes ?? [],
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  async findObject(bucket: string, name: string): Promise<ObjectResource | undefined> {
    const res = await this.call({
      method: 'GET',
      path: `/storage/v1/b/${enc(bucket)}/o/${enc(name)}`,
      idempotent: true,
      expect: [404],
      what: `stat gs://${bucket}/${name}`,
    });
    return res.status === 404 ? undefined : (json(res) as ObjectResource);
  }

  /** Bytes of an object or a range of it (`end` exclusive); a range past the end reads as empty. */
  async readObject(
    bucket: string,
    name: string,
    range?: { start: number; end?: number },
  ): Promise<HttpResponse> {
    return this.call({
      method: 'GET',
      path: `/storage/v1/b/${enc(bucket)}/o/${enc(name)}?alt=media`,
      headers: range ? { range: rangeHeader(range) } : {},
      idempotent: true,
      expect: [416],
      what: `read gs://${bucket}/${name}`,
    });
  }

  /** Starts a download; the body streams from the returned response. Only the start is retried. */
  async openObject(
    bucket: string,
    name: string,
    range?: { start: number; end?: number },
  ): Promise<IncomingMessage> {
    return withRetry(
      this.config.retry,
      async () => {
        let res: IncomingMessage;
        try {
          res = await this.config.http.stream({
            method: 'GET',
            url: this.url(`/storage/v1/b/${enc(bucket)}/o/${enc(name)}?alt=media`),
            headers: {
              ...(await this.config.authHeaders()),
              ...(range ? { range: rangeHeader(range) } : {}),
            },
          });
        } catch (error) {
          throw errorFromNetwork(error, `read gs://${bucket}/${name}`);
        }
        const status = res.statusCode ?? 0;
        if ((status >= 200 && status < 300) || status === 416) return res;
        const chunks: Buffer[] = [];
        for await (const chunk of res as AsyncIterable<Buffer>) chunks.push(chunk);
        throw errorFromResponse(status, Buffer.concat(chunks), `read gs://${bucket}/${name}`);
      },
      { shouldRetry: isTransient, ...(this.config.budget ? { budget: this.config.budget } : {}) },
    );
  }

  /**
   * Deletes one generation. With the generation as a precondition the call is
   * safe to retry: a retry after a lost answer finds the object gone (404).
   */
  async deleteObject(
    bucket: string,
    name: string,
    ifGenerationMatch?: string,
  ): Promise<'deleted' | 'missing' | 'changed'> {
    const query = ifGenerationMatch ? `?ifGenerationMatch=${ifGenerationMatch}` : '';
    const res = await this.call({
      method: 'DELETE',
      path: `/storage/v1/b/${enc(bucket)}/o/${enc(name)}${query}`,
      idempotent: true,
      expect: [404, 412],
      what: `delete gs://${bucket}/${name}`,
    });
    return res.status === 404 ? 'missing' : res.status === 412 ? 'changed' : 'deleted';
  }

  async patchObject(
    bucket: string,
    name: string,
    fields: ObjectFields,
    ifMetagenerationMatch?: string,
  ): Promise<ObjectResource> {
    const query = ifMetagenerationMatch ? `?ifMetagenerationMatch=${ifMetagenerationMatch}` : '';
    const res = await this.call({
      method: 'PATCH',
      path: `/storage/v1/b/${enc(bucket)}/o/${enc(name)}${query}`,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(JSON.stringify(fields)),
      idempotent: ifMetagenerationMatch !== undefined,
      what: `update metadata of gs://${bucket}/${name}`,
    });
    return json(res) as ObjectResource;
  }

  /**
   * One-request upload (`uploadType=multipart`): JSON metadata and the bytes.
   * The declared `crc32c` makes the service refuse corrupted bytes; the
   * generation precondition makes a retry safe (a repeat of a write that
   * landed fails with 412 instead of writing twice). Returns 412 to the caller.
   */
  async insertMultipart(
    bucket: string,
    name: string,
    data: Buffer,
    fields: ObjectFields,
    ifGenerationMatch: string | undefined,
  ): Promise<{ status: number; object?: ObjectResource }> {
    const boundary = `strato-${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    const head = Buffer.from(
      `--${boundary}\r\ncontent-type: application/json; charset=UTF-8\r\n\r\n${JSON.stringify({ name, ...fields })}\r\n` +
        `--${boundary}\r\ncontent-type: ${fields.contentType ?? 'application/octet-stream'}\r\n\r\n`,
    );
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const query = new URLSearchParams({ uploadType: 'multipart', name, fields: OBJECT_FIELDS });
    if (ifGenerationMatch !== undefined) query.set('ifGenerationMatch', ifGenerationMatch);
    const res = await this.call({
      method: 'POST',
      path: `/upload/storage/v1/b/${enc(bucket)}/o?${query}`,
      headers: { 'content-type': `multipart/related; boundary=${boundary}` },
      body: [head, data, tail],
      idempotent: ifGenerationMatch !== undefined,
      expect: [412],
      what: `upload gs://${bucket}/${name}`,
    });
    return res.status === 412 ? { status: 412 } : { status: res.status, object: json(res) as ObjectResource };
  }

  /** Starts a resumable session; returns its URI. Repeating it only makes an unused session. */
  async startResumable(
    bucket: string,
    name: string,
    options: { size?: number; fields: ObjectFields; ifGenerationMatch?: string },
  ): Promise<string> {
    const query = new URLSearchParams({ uploadType: 'resumable', name });
    if (options.ifGenerationMatch !== undefined) query.set('ifGenerationMatch', options.ifGenerationMatch);
    const res = await this.call({
      method: 'POST',
      path: `/upload/storage/v1/b/${enc(bucket)}/o?${query}`,
      headers: {
        'content-type': 'application/json; charset=UTF-8',
        ...(options.size !== undefined ? { 'x-upload-content-length': options.size } : {}),
        ...(options.fields.contentType ? { 'x-upload-content-type': options.fields.contentType } : {}),
      },
      body: Buffer.from(JSON.stringify({ name, ...options.fields })),
      idempotent: true,
      what: `start upload of gs://${bucket}/${name}`,
    });
    const location = res.headers.location;
    if (!location)
      throw new GcsRequestError(
        res.status,
        'E_INVALID_REQUEST',
        `start upload of gs://${bucket}/${name}: no session URI`,
      );
    return location;
  }

  /** Asks a session how many bytes it has (`Content-Range: bytes *\/N`). */
  async queryResumable(sessionUri: string, size: number | undefined): Promise<UploadStatus> {
    const res = await this.call({
      method: 'PUT',
      path: sessionUri,
      headers: { 'content-range': `bytes */${size ?? '*'}` },
      idempotent: true,
      expect: [308, 404, 410, 499],
      what: 'query upload session',
    });
    return uploadStatusOf(res);
  }

  /**
   * Sends bytes `start`.. of a session. `total` is set on the last chunk,
   * with the whole object's CRC32C so the service refuses a corrupted upload.
   * Not retried here: after a failure, the caller asks the session where it is.
   */
  async putChunk(
    sessionUri: string,
    chunk: { body: Buffer | StreamBody; start: number; total?: number; crc32c?: string },
  ): Promise<UploadStatus> {
    const length = chunk.body.length;
    const last = chunk.start + length - 1;
    const range =
      length === 0 ? `bytes */${chunk.total ?? '*'}` : `bytes ${chunk.start}-${last}/${chunk.total ?? '*'}`;
    const res = await this.call({
      method: 'PUT',
      path: sessionUri,
      headers: {
        'content-range': range,
        ...(chunk.crc32c ? { 'x-goog-hash': `crc32c=${chunk.crc32c}` } : {}),
      },
      body: chunk.body,
      idempotent: false,
      expect: [308, 404, 410],
      what: 'upload chunk',
    });
    return uploadStatusOf(res);
  }

  async cancelResumable(sessionUri: string): Promise<void> {
    await this.call({
      method: 'DELETE',
      path: sessionUri,
      idempotent: true,
      expect: [404, 410, 499],
      what: 'cancel upload',
    });
  }
}

function json(res: HttpResponse): unknown {
  return JSON.parse(res.body.toString('utf8'));
}

function rangeHeader(range: { start: number; end?: number }): string {
  return `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}`;
}

function uploadStatusOf(res: HttpResponse): UploadStatus {
  if (res.status === 308) {
    // No Range header: the session has no bytes yet.
    const match = /bytes=0-(\d+)/.exec(String(res.headers.range ?? ''));
    return { state: 'incomplete', committed: match ? Number(match[1]) + 1 : 0 };
  }
  if (res.status === 404 || res.status === 410 || res.status === 499) return { state: 'gone' };
  return { state: 'done', object: json(res) as ObjectResource };
}
