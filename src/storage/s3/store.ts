/**
 * `s3://` object store over `@aws-sdk/client-s3` (loaded on first use), with
 * the SDK's own credentials chain and retry strategy. Writes carry CRC32C so
 * S3 refuses damaged bytes; large ones go up as multipart uploads with a
 * full-object CRC32C, and the object exists only once the upload completes.
 * The store's generation is the ETag: a write with `ifGenerationMatch` is
 * conditional (`If-None-Match: *` for '0', else `If-Match`), as on gs://.
 */

import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { StratoError } from '../../errors.ts';
import { parseEndpoint } from '../../internal/endpoint.ts';
import { crc32cBase64, crc32cOf, crc32cUpdate } from '../checksum.ts';
import { type ChunkSource, fileChunkSource, streamChunkSource } from '../chunk-source.ts';
import {
  type BucketInfo,
  type ByteRange,
  type DeleteOptions,
  globUnsupported,
  type ListOptions,
  type ListPage,
  type ObjectInfo,
  type ObjectStore,
  type UploadFileOptions,
  type WriteOptions,
} from '../types.ts';

export interface S3StoreOptions {
  /** e.g. `http://127.0.0.1:9000` for a local S3-compatible server. Default: `env`'s AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL. */
  endpoint?: string;
  /** Default: AWS_REGION, else us-east-1. */
  region?: string;
  /** Path-style URLs (`endpoint/bucket/key`); default true with a custom endpoint. */
  forcePathStyle?: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** Bytes per multipart part (S3's minimum is 5 MiB); default 16 MiB. */
  partSizeBytes?: number;
  env?: NodeJS.ProcessEnv;
}

/** S3 refuses parts under 5 MiB except the last (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
const MIN_PART_BYTES = 5 * 1024 * 1024;
const DEFAULT_PART_BYTES = 16 * 1024 * 1024;

type S3Module = typeof import('@aws-sdk/client-s3');

/**
 * The AWS SDK warns on every run under Node < 22 about its own future
 * support policy: news for whoever picks Strato's Node version, not for a
 * user pushing data. Its documented switch is read from `process.env` as
 * the client is built, so it is set for that moment only: the user's
 * environment (and what replicas inherit) stays as it was.
 */
const NODE_VERSION_WARNING_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

function withoutNodeVersionWarning<T>(build: () => T): T {
  const before = process.env[NODE_VERSION_WARNING_SWITCH];
  process.env[NODE_VERSION_WARNING_SWITCH] = 'true';
  try {
    return build();
  } finally {
    if (before === undefined) delete process.env[NODE_VERSION_WARNING_SWITCH];
    else process.env[NODE_VERSION_WARNING_SWITCH] = before;
  }
}

/** AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL (the SDK's order), and which; E_USAGE naming a malformed one. */
export function s3EndpointFromEnv(env: NodeJS.ProcessEnv): { url: string; source: string } | undefined {
  for (const name of ['AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL'] as const) {
    const value = env[name];
    if (value) return { url: parseEndpoint(value, name, 'http://127.0.0.1:9000').url, source: name };
  }
  return undefined;
}

export class S3ObjectStore implements ObjectStore {
  readonly scheme = 's3' as const;
  private client: Promise<{ s3: S3Client; sdk: S3Module }> | undefined;
  private readonly partSize: number;

  readonly bucket: string;
  private readonly options: S3StoreOptions;

  constructor(bucket: string, options: S3StoreOptions = {}) {
    this.bucket = bucket;
    this.options = options;
    this.partSize = Math.max(options.partSizeBytes ?? DEFAULT_PART_BYTES, MIN_PART_BYTES);
  }

  private connect(): Promise<{ s3: S3Client; sdk: S3Module }> {
    this.client ??= import('@aws-sdk/client-s3').then((sdk) => {
      const env = this.options.env ?? process.env;
      // The endpoint and keys of the caller's environment (a CLI's io.env), which the SDK's own
      // chain would not see: it reads this process's. A malformed endpoint is parsed here, named,
      // rather than surfacing as the SDK's bare TypeError. AWS_ENDPOINT_URL is how moto is reached.
      const endpoint = this.options.endpoint ?? s3EndpointFromEnv(env)?.url;
      const credentials =
        this.options.credentials ??
        (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
          ? {
              accessKeyId: env.AWS_ACCESS_KEY_ID,
              secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
              ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
            }
          : undefined);
      const s3 = withoutNodeVersionWarning(
        () =>
          new sdk.S3Client({
            region: this.options.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1',
            ...(endpoint ? { endpoint } : {}),
            forcePathStyle: this.options.forcePathStyle ?? endpoint !== undefined,
            ...(credentials ? { credentials } : {}),
            // Checksums are Strato's own CRC32C, set per request; no SDK-chosen CRC32 besides.
            requestChecksumCalculation: 'WHEN_REQUIRED',
            responseChecksumValidation: 'WHEN_REQUIRED',
          }),
      );
      return { s3, sdk };
    });
    return this.client;
  }

  private async run<T>(what: string, action: (c: { s3: S3Client; sdk: S3Module }) => Promise<T>): Promise<T> {
    const c = await this.connect();
    try {
      return await action(c);
    } catch (error) {
      throw translate(error, what);
    }
  }

  async findBucket(): Promise<BucketInfo | undefined> {
    return this.run(`get bucket s3://${this.bucket}`, async ({ s3, sdk }) => {
      try {
        await s3.send(new sdk.HeadBucketCommand({ Bucket: this.bucket }));
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
      const location = await s3
        .send(new sdk.GetBucketLocationCommand({ Bucket: this.bucket }))
        .catch(() => undefined);
      // An empty LocationConstraint is us-east-1, by S3's convention.
      return { name: this.bucket, location: location?.LocationConstraint || 'us-east-1' };
    });
  }

  async list(options: ListOptions = {}): Promise<ListPage> {
    if (options.matchGlob) throw globUnsupported(`s3://${this.bucket}`);
    return this.run(`list s3://${this.bucket}/${options.prefix ?? ''}`, async ({ s3, sdk }) => {
      const page = await s3.send(
        new sdk.ListObjectsV2Command({
          Bucket: this.bucket,
          ...(options.prefix ? { Prefix: options.prefix } : {}),
          ...(options.delimiter ? { Delimiter: options.delimiter } : {}),
          ...(options.pageToken ? { ContinuationToken: options.pageToken } : {}),
          ...(options.maxResults ? { MaxKeys: options.maxResults } : {}),
        }),
      );
      return {
        objects: (page.Contents ?? []).map((o) => ({
          key: o.Key!,
          size: Number(o.Size ?? 0),
          ...(o.ETag ? { generation: o.ETag } : {}),
          ...(o.LastModified ? { updated: o.LastModified } : {}),
        })),
        prefixes: (page.CommonPrefixes ?? []).map((p) => p.Prefix!).filter(Boolean),
        ...(page.NextContinuationToken ? { nextPageToken: page.NextContinuationToken } : {}),
      };
    });
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    return this.run(`stat s3://${this.bucket}/${key}`, async ({ s3, sdk }) => {
      try {
        const head = await s3.send(
          new sdk.HeadObjectCommand({ Bucket: this.bucket, Key: key, ChecksumMode: 'ENABLED' }),
        );
        return {
          key,
          size: Number(head.ContentLength ?? 0),
          ...(head.ChecksumCRC32C ? { crc32c: head.ChecksumCRC32C } : {}),
          ...(head.ETag ? { generation: head.ETag } : {}),
          ...(head.LastModified ? { updated: head.LastModified } : {}),
          ...(head.Metadata && Object.keys(head.Metadata).length > 0 ? { metadata: head.Metadata } : {}),
        };
      } catch (error) {
        if (statusOf(error) === 404) return undefined;
        throw error;
      }
    });
  }

  async read(key: string, range?: ByteRange): Promise<Buffer> {
    const stream = await this.readStream(key, range);
    const chunks: Buffer[] = [];
    for await (const chunk of stream as AsyncIterable<Buffer>) chunks.push(chunk);
    return Buffer.concat(chunks);
  }

  async readStream(key: string, range?: ByteRange): Promise<Readable> {
    if (range?.end !== undefined && range.end <= range.start) return Readable.from([]);
    return this.run(`read s3://${this.bucket}/${key}`, async ({ s3, sdk }) => {
      try {
        const res = await s3.send(
          new sdk.GetObjectCommand({
            Bucket: this.bucket,
            Key: key,
            ...(range
              ? { Range: `bytes=${range.start}-${range.end === undefined ? '' : range.end - 1}` }
              : {}),
          }),
        );
        return res.Body as Readable;
      } catch (error) {
        if (statusOf(error) === 416) return Readable.from([]);
        throw error;
      }
    });
  }

  async write(key: string, data: Buffer | Readable, options: WriteOptions = {}): Promise<ObjectInfo> {
    if (Buffer.isBuffer(data) && data.length <= this.partSize) return this.putSmall(key, data, options);
    const source = Buffer.isBuffer(data) ? streamChunkSource(Readable.from([data])) : streamChunkSource(data);
    return this.putMultipart(key, source, options);
  }

  async uploadFile(key: string, path: string, options: UploadFileOptions): Promise<ObjectInfo> {
    const info =
      options.size <= this.partSize
        ? await this.putSmall(key, await readFile(path), options)
        : await this.putMultipart(key, fileChunkSource(path, options.size), options);
    options.onBytes?.(options.size);
    return info;
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    await this.run(`delete s3://${this.bucket}/${key}`, async ({ s3, sdk }) => {
      try {
        await s3.send(
          new sdk.DeleteObjectCommand({
            Bucket: this.bucket,
            Key: key,
            ...(options.ifGenerationMatch !== undefined ? { IfMatch: options.ifGenerationMatch } : {}),
          }),
        );
      } catch (error) {
        // Another generation is there now (or none is): it is left alone, quietly.
        if (options.ifGenerationMatch !== undefined && [404, 412].includes(statusOf(error) ?? 0)) return;
        throw error;
      }
    });
  }

  async close(): Promise<void> {
    if (this.client) (await this.client).s3.destroy();
  }

  private async putSmall(key: string, data: Buffer, options: WriteOptions): Promise<ObjectInfo> {
    const crc32c = crc32cBase64(crc32cOf(data));
    if (options.crc32c && options.crc32c !== crc32c) throw mismatch(this.bucket, key, options.crc32c, crc32c);
    return this.run(`upload s3://${this.bucket}/${key}`, async ({ s3, sdk }) => {
      return s3
        .send(
          new sdk.PutObjectCommand({
            Bucket: this.bucket,
            Key: key,
            Body: data,
            ContentLength: data.length,
            ChecksumCRC32C: crc32c,
            ...conditionOf(options.ifGenerationMatch),
            ...(options.contentType ? { ContentType: options.contentType } : {}),
            ...(options.metadata ? { Metadata: options.metadata } : {}),
          }),
        )
        .then(
          (res): ObjectInfo => ({
            key,
            size: data.length,
            crc32c,
            ...(res.ETag ? { generation: res.ETag } : {}),
            ...(options.metadata ? { metadata: options.metadata } : {}),
          }),
        )
        .catch((error: unknown) => this.refusedWrite(error, key, { crc32c, size: data.length, bytes: data }));
    });
  }

  /**
   * A conditional write S3 refused (412): our own write when the object now
   * holds exactly these bytes (a retry of a write whose answer was lost);
   * otherwise another writer got there first, E_CONFLICT. The object's
   * CRC32C says so; where the service gives none (moto), a small write's
   * bytes are compared.
   */
  private async refusedWrite(
    error: unknown,
    key: string,
    written: { crc32c: string; size: number; bytes?: Buffer },
  ): Promise<ObjectInfo> {
    if (statusOf(error) !== 412) throw error;
    const now = await this.stat(key);
    const same =
      now?.size === written.size &&
      (now.crc32c !== undefined
        ? now.crc32c === written.crc32c
        : written.bytes !== undefined && (await this.read(key)).equals(written.bytes));
    if (now && same) return { ...now, crc32c: written.crc32c };
    throw new StratoError('E_CONFLICT', `s3://${this.bucket}/${key} changed while it was being uploaded`, {
      cause: error,
      hint: 'another writer updated it; run again',
    });
  }

  /** Parts of `partSize` read one at a time; aborted on any failure so no upload lingers. */
  private async putMultipart(key: string, source: ChunkSource, options: WriteOptions): Promise<ObjectInfo> {
    const where = `s3://${this.bucket}/${key}`;
    try {
      return await this.run(`upload ${where}`, async ({ s3, sdk }) => {
        const { UploadId } = await s3.send(
          new sdk.CreateMultipartUploadCommand({
            Bucket: this.bucket,
            Key: key,
            ChecksumAlgorithm: 'CRC32C',
            ChecksumType: 'FULL_OBJECT',
            ...(options.contentType ? { ContentType: options.contentType } : {}),
            ...(options.metadata ? { Metadata: options.metadata } : {}),
          }),
        );
        try {
          const parts: { ETag: string; PartNumber: number; ChecksumCRC32C: string }[] = [];
          let offset = 0;
          let crc = 0;
          for (;;) {
            const data = await source.read(offset, this.partSize);
            if (data.length === 0 && parts.length > 0) break;
            const partCrc = crc32cBase64(crc32cOf(data));
            crc = crc32cUpdate(crc, data);
            const PartNumber = parts.length + 1;
            const res = await s3.send(
              new sdk.UploadPartCommand({
                Bucket: this.bucket,
                Key: key,
                UploadId,
                PartNumber,
                Body: Buffer.from(data),
                ContentLength: data.length,
                ChecksumCRC32C: partCrc,
              }),
            );
            parts.push({ ETag: res.ETag!, PartNumber, ChecksumCRC32C: partCrc });
            offset += data.length;
            if (data.length < this.partSize || (source.size !== undefined && offset >= source.size)) break;
          }
          const crc32c = crc32cBase64(crc);
          if (options.crc32c && options.crc32c !== crc32c)
            throw mismatch(this.bucket, key, options.crc32c, crc32c);
          return await s3
            .send(
              new sdk.CompleteMultipartUploadCommand({
                Bucket: this.bucket,
                Key: key,
                UploadId,
                ChecksumCRC32C: crc32c,
                ChecksumType: 'FULL_OBJECT',
                MultipartUpload: { Parts: parts },
                ...conditionOf(options.ifGenerationMatch),
              }),
            )
            .then(
              (done): ObjectInfo => ({
                key,
                size: offset,
                crc32c,
                ...(done.ETag ? { generation: done.ETag } : {}),
                ...(options.metadata ? { metadata: options.metadata } : {}),
              }),
            )
            .catch((error: unknown) => this.refusedWrite(error, key, { crc32c, size: offset }));
        } catch (error) {
          await s3
            .send(new sdk.AbortMultipartUploadCommand({ Bucket: this.bucket, Key: key, UploadId }))
            .catch(() => {});
          throw error;
        }
      });
    } finally {
      await source.close();
    }
  }
}

function statusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

/** S3's conditional-write headers for a generation precondition ('0': only if absent). */
function conditionOf(ifGenerationMatch: string | undefined): { IfNoneMatch?: string; IfMatch?: string } {
  if (ifGenerationMatch === undefined) return {};
  return ifGenerationMatch === '0' ? { IfNoneMatch: '*' } : { IfMatch: ifGenerationMatch };
}

function mismatch(bucket: string, key: string, expected: string, actual: string): StratoError {
  return new StratoError('E_CORRUPT', `s3://${bucket}/${key}: CRC32C ${actual}, expected ${expected}`, {
    hint: 'the source changed while it was being uploaded; run again',
  });
}

function translate(error: unknown, what: string): StratoError {
  if (error instanceof StratoError) return error;
  // The SDK's credential chain found nothing: no status, and running again cannot help.
  if ((error as Error).name === 'CredentialsProviderError') {
    return new StratoError('E_AUTH', `no AWS credentials for ${what}: ${(error as Error).message}`, {
      cause: error,
      hint: 'run `aws configure`, or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (AWS_PROFILE picks a profile)',
    });
  }
  const status = statusOf(error);
  const detail = `${what}: ${(error as Error).name ?? 'Error'}${(error as Error).message ? ` ${(error as Error).message}` : ''}`;
  if (status === 404)
    return new StratoError('E_NOT_FOUND', detail, { cause: error, hint: 'check the bucket and key' });
  // 409 ConditionalRequestConflict: another conditional write to the key was under way.
  if (status === 409 && (error as Error).name === 'ConditionalRequestConflict') {
    return new StratoError('E_CONFLICT', detail, { cause: error, retryable: true, hint: 'run again' });
  }
  if (status === 401 || status === 403) {
    return new StratoError('E_AUTH', detail, {
      cause: error,
      hint: 'check the AWS credentials (AWS_PROFILE, AWS_ACCESS_KEY_ID) and the bucket policy',
    });
  }
  if (status === undefined || status === 429 || status >= 500) {
    return new StratoError('E_TRANSIENT', detail, { cause: error, retryable: true, hint: 'run again' });
  }
  return new StratoError('E_INVALID_REQUEST', detail, { cause: error });
}
