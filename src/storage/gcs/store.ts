/**
 * `gs://` object store over the JSON API (lean transport: kept-alive
 * connections, one request per small object, chunked resumable uploads for
 * large ones), with credentials and endpoint resolved as
 * `@google-cloud/storage` does.
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { StratoError } from '../../errors.ts';
import { FailureBudget, type FailureBudgetOptions } from '../../internal/failure-budget.ts';
import type { RetryPolicy } from '../../internal/retry.ts';
import { crc32cBase64, crc32cOf, parseGoogHash } from '../checksum.ts';
import { type ChunkSource, fileChunkSource, streamChunkSource } from '../chunk-source.ts';
import { HttpTransport } from '../http-transport.ts';
import type {
  BucketInfo,
  ByteRange,
  DeleteOptions,
  ListOptions,
  ListPage,
  ObjectInfo,
  ObjectStore,
  UploadFileOptions,
  WriteOptions,
} from '../types.ts';
import { authHeadersFor, type GcsConnectOptions, lazyStorageClient, resolveGcsEndpoint } from './connect.ts';
import { GcsJsonApi, type ObjectFields, type ObjectResource } from './json-api.ts';
import { CHUNK_QUANTUM, uploadResumable } from './resumable-upload.ts';
import { GCS_RETRY } from './retry-rules.ts';
import { stockUploadFile } from './stock-upload.ts';

export interface GcsStoreOptions extends GcsConnectOptions {
  retry?: Partial<RetryPolicy>;
  /** Bounds of the failure budget all this store's calls share (internal/failure-budget.ts). */
  failureBudget?: FailureBudgetOptions;
  /** Connections kept open to the service; default 64. */
  maxSockets?: number;
  /** Bytes per resumable-upload request; a multiple of 256 KiB; default 16 MiB. */
  chunkSizeBytes?: number;
  /** Objects up to this size go in one request; default 8 MiB. */
  resumableThresholdBytes?: number;
  /**
   * How `uploadFile` sends: `lean` (default) over direct JSON API calls;
   * `stock` through @google-cloud/storage's `bucket.upload` (the benchmark's
   * baseline). Everything else always takes the lean path.
   */
  transport?: 'lean' | 'stock';
}

/**
 * 16 MiB chunks: large enough that per-request overhead vanishes, small
 * enough that a retry resends little (the client library's documented
 * recommendation is at least 8 MiB).
 */
export const DEFAULT_CHUNK_BYTES = 16 * 1024 * 1024;
/** Single-request uploads up to 8 MiB; larger ones resumable, so a failure resends one chunk, not the file. */
export const DEFAULT_RESUMABLE_THRESHOLD_BYTES = 8 * 1024 * 1024;

export function toObjectInfo(resource: ObjectResource): ObjectInfo {
  // Assigned field by field, not spread: a listing makes one of these per object.
  const info: ObjectInfo = {
    key: resource.name,
    size: Number(resource.size),
    generation: resource.generation,
  };
  if (resource.crc32c) info.crc32c = resource.crc32c;
  if (resource.md5Hash) info.md5 = resource.md5Hash;
  if (resource.updated) info.updated = new Date(resource.updated);
  if (resource.metadata) info.metadata = resource.metadata;
  return info;
}

export class GcsObjectStore implements ObjectStore {
  readonly scheme = 'gs' as const;
  readonly listsByRange = true;
  readonly listsByGlob = true;
  readonly api: GcsJsonApi;
  private readonly http: HttpTransport;
  private readonly retry: RetryPolicy;
  private readonly chunkSize: number;
  private readonly threshold: number;
  private readonly storage: ReturnType<typeof lazyStorageClient>;

  readonly bucket: string;
  private readonly options: GcsStoreOptions;

  constructor(bucket: string, options: GcsStoreOptions = {}) {
    this.bucket = bucket;
    this.options = options;
    const resolved = resolveGcsEndpoint(options);
    this.storage = lazyStorageClient(options, resolved);
    this.http = new HttpTransport({ maxSockets: options.maxSockets ?? 64 });
    this.retry = { ...GCS_RETRY, ...options.retry };
    this.chunkSize = options.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;
    if (this.chunkSize <= 0 || this.chunkSize % CHUNK_QUANTUM !== 0) {
      throw new StratoError('E_USAGE', `chunk size ${this.chunkSize} is not a positive multiple of 256 KiB`);
    }
    this.threshold = options.resumableThresholdBytes ?? DEFAULT_RESUMABLE_THRESHOLD_BYTES;
    this.api = new GcsJsonApi({
      endpoint: resolved.endpoint,
      http: this.http,
      authHeaders: authHeadersFor(options, resolved, this.storage),
      retry: this.retry,
      budget: new FailureBudget(options.failureBudget),
    });
  }

  async findBucket(): Promise<BucketInfo | undefined> {
    const bucket = await this.api.findBucket(this.bucket);
    return (
      bucket && {
        name: bucket.name,
        location: bucket.location,
        ...(bucket.locationType ? { locationType: bucket.locationType } : {}),
      }
    );
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    const page = await this.api.listObjects(this.bucket, options);
    return {
      objects: page.items.map(toObjectInfo),
      prefixes: page.prefixes,
      ...(page.nextPageToken ? { nextPageToken: page.nextPageToken } : {}),
    };
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    const object = await this.api.findObject(this.bucket, key);
    return object && toObjectInfo(object);
  }

  async read(key: string, range?: ByteRange): Promise<Buffer> {
    if (range?.end !== undefined && range.end <= range.start) return Buffer.alloc(0);
    const res = await this.api.readObject(this.bucket, key, range);
    if (res.status === 416) return Buffer.alloc(0);
    const whole = res.status === 200 && (!range || range.start === 0);
    const expected = parseGoogHash(res.headers['x-goog-hash']).crc32c;
    if (whole && expected && crc32cBase64(crc32cOf(res.body)) !== expected) {
      throw new StratoError(
        'E_CORRUPT',
        `gs://${this.bucket}/${key}: downloaded bytes fail their CRC32C check`,
        {
          retryable: true,
          hint: 'run again; if it persists the object is damaged',
        },
      );
    }
    return res.body;
  }

  async readStream(key: string, range?: ByteRange): Promise<Readable> {
    if (range?.end !== undefined && range.end <= range.start) return Readable.from([]);
    const res = await this.api.openObject(this.bucket, key, range);
    if (res.statusCode === 416) {
      res.resume();
      return Readable.from([]);
    }
    return res;
  }

  async write(key: string, data: Buffer | Readable, options: WriteOptions = {}): Promise<ObjectInfo> {
    const fields = fieldsOf(options);
    if (Buffer.isBuffer(data) && data.length <= this.threshold) {
      return toObjectInfo(await this.insertSmall(key, data, fields, options));
    }
    const source = Buffer.isBuffer(data) ? bufferChunkSource(data) : streamChunkSource(data);
    return toObjectInfo(await this.insertResumable(key, source, fields, options));
  }

  async uploadFile(key: string, path: string, options: UploadFileOptions): Promise<ObjectInfo> {
    if (this.options.transport === 'stock') {
      const resumable = options.size > this.threshold;
      return toObjectInfo(
        await stockUploadFile(await this.storage(), this.bucket, key, path, {
          ...options,
          resumable,
          chunkSize: this.chunkSize,
        }),
      );
    }
    const fields = fieldsOf(options);
    if (options.size <= this.threshold) {
      const data = await readSmallFile(path, options.size);
      if (data.length !== options.size) {
        throw new StratoError(
          'E_IO',
          `${path} changed size (${options.size} → ${data.length} bytes) during the upload`,
          {
            hint: 'run again once nothing is writing to it',
          },
        );
      }
      const object = await this.insertSmall(key, data, fields, options);
      options.onBytes?.(data.length);
      return toObjectInfo(object);
    }
    return toObjectInfo(
      await this.insertResumable(key, fileChunkSource(path, options.size), fields, options),
    );
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    await this.api.deleteObject(this.bucket, key, options.ifGenerationMatch);
  }

  async close(): Promise<void> {
    this.http.close();
  }

  /**
   * One-request upload. A 412 means the object is not at the generation we
   * expected: either our own earlier attempt landed (its answer was lost) —
   * then the object has our bytes and that is success — or someone else
   * wrote it, which is a conflict.
   */
  private async insertSmall(
    key: string,
    data: Buffer,
    fields: ObjectFields,
    options: WriteOptions,
  ): Promise<ObjectResource> {
    const crc32c = crc32cBase64(crc32cOf(data));
    if (options.crc32c && options.crc32c !== crc32c)
      throw contentMismatch(this.bucket, key, options.crc32c, crc32c);
    const res = await this.api.insertMultipart(
      this.bucket,
      key,
      data,
      { ...fields, crc32c },
      options.ifGenerationMatch,
    );
    if (res.object) {
      if (res.object.crc32c && res.object.crc32c !== crc32c)
        throw contentMismatch(this.bucket, key, crc32c, res.object.crc32c);
      return res.object;
    }
    const current = await this.api.findObject(this.bucket, key);
    if (current && current.crc32c === crc32c && Number(current.size) === data.length) return current;
    throw new StratoError('E_CONFLICT', `gs://${this.bucket}/${key} changed while it was being uploaded`, {
      hint: 'another writer updated it; run again',
    });
  }

  private async insertResumable(
    key: string,
    source: ChunkSource,
    fields: ObjectFields,
    options: WriteOptions & Partial<Pick<UploadFileOptions, 'journal' | 'onBytes'>>,
  ): Promise<ObjectResource> {
    try {
      const object = await uploadResumable(this.api, this.bucket, key, source, {
        // A known CRC32C goes with the session's metadata: the service then refuses different bytes.
        fields: options.crc32c ? { ...fields, crc32c: options.crc32c } : fields,
        chunkSize: this.chunkSize,
        retry: this.retry,
        ...(options.ifGenerationMatch !== undefined ? { ifGenerationMatch: options.ifGenerationMatch } : {}),
        ...(options.journal ? { journal: options.journal } : {}),
        ...(options.onBytes ? { onBytes: options.onBytes } : {}),
      });
      if (options.crc32c && object.crc32c && options.crc32c !== object.crc32c) {
        throw contentMismatch(this.bucket, key, options.crc32c, object.crc32c);
      }
      return object;
    } finally {
      await source.close();
    }
  }
}

/**
 * Up to 1 MiB a synchronous read: fs.promises.readFile costs about 100 µs of
 * main-thread time per file (four thread-pool round trips and a FileHandle
 * to collect), a synchronous read of a cached small file about 30 µs, which
 * on a 10,000-file push is the difference between the client or the network
 * being the limit. Larger files are read asynchronously.
 */
const SYNC_READ_MAX_BYTES = 1024 * 1024;

async function readSmallFile(path: string, size: number): Promise<Buffer> {
  return size <= SYNC_READ_MAX_BYTES ? readFileSync(path) : readFile(path);
}

function fieldsOf(options: WriteOptions): ObjectFields {
  return {
    ...(options.contentType ? { contentType: options.contentType } : {}),
    ...(options.metadata ? { metadata: options.metadata } : {}),
  };
}

function contentMismatch(bucket: string, key: string, expected: string, actual: string): StratoError {
  return new StratoError('E_CORRUPT', `gs://${bucket}/${key}: CRC32C ${actual}, expected ${expected}`, {
    hint: 'the source changed or bytes were damaged on the way; run again',
  });
}

function bufferChunkSource(data: Buffer): ChunkSource {
  return {
    size: data.length,
    async read(offset, length) {
      return data.subarray(offset, offset + length);
    },
    async close() {},
  };
}
