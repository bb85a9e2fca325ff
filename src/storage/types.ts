/**
 * One interface over object stores (`file://`, `gs://`, `s3://`). Data upload
 * and metrics tailing both sit on it. Keys are `/`-separated paths inside the
 * bucket; for `file://` the bucket is the file system root and a key is an
 * absolute path without its leading `/`.
 */

import type { Readable } from 'node:stream';
import { StratoError } from '../errors.ts';

/** One object: key, size, checksums, generation. */
export interface ObjectInfo {
  key: string;
  size: number;
  /** CRC32C of the content, base64 of the big-endian 4 bytes (as GCS reports it). */
  crc32c?: string;
  /** MD5 of the content, base64 (absent for composite objects). */
  md5?: string;
  /** Changes on every overwrite; used for conditional writes. */
  generation?: string;
  updated?: Date;
  /** User metadata (e.g. the source file's mtime, recorded by the sync engine). */
  metadata?: Record<string, string>;
}

export interface ListOptions {
  prefix?: string;
  /** With `/`, keys below the next `/` after the prefix are rolled up into `prefixes`. */
  delimiter?: string;
  pageToken?: string;
  maxResults?: number;
  /**
   * Only what a comparison needs: key, size, generation, CRC32C and user
   * metadata, without MD5 or update time. A listing of many objects is
   * about a third smaller and quicker (gs://); stores that list everything
   * in any case ignore it.
   */
  brief?: boolean;
  /** Only keys at or after this one (stores with `listsByRange`). */
  startOffset?: string;
  /** Only keys before this one (stores with `listsByRange`). */
  endOffset?: string;
  /**
   * Only keys matching this glob, as Cloud Storage's objects.list `matchGlob`
   * (`*` within one `/` level, `**` across levels, `?`, `[abc]`, `{a,b}`),
   * together with `prefix`. gs:// only (stores with `listsByGlob`); the
   * others refuse it with E_INTERNAL rather than list more than was asked.
   */
  matchGlob?: string;
}

export interface ListPage {
  objects: ObjectInfo[];
  prefixes: string[];
  nextPageToken?: string;
}

/** Byte range, `end` exclusive; `end` undefined means to the end of the object. */
export interface ByteRange {
  start: number;
  end?: number;
}

export interface WriteOptions {
  metadata?: Record<string, string>;
  contentType?: string;
  /** Expected CRC32C (base64); the store refuses the write if the content does not match. */
  crc32c?: string;
  /**
   * Write only if the object is at this generation now (`'0'`: only if it does
   * not exist). Stores with generations (gs://; s3://, whose generation is the
   * ETag) refuse otherwise with `E_CONFLICT`; it also makes a retried write
   * safe. Others (file://) ignore it.
   */
  ifGenerationMatch?: string;
}

export interface DeleteOptions {
  /** Delete only this generation; a newer one is left alone (quietly). */
  ifGenerationMatch?: string;
}

/** What an interrupted upload's session was, so a later process can resume it. */
export interface UploadSessionRecord {
  /** The session URI (gs:// resumable sessions). */
  uri: string;
  /** Bytes the service has confirmed. */
  committed: number;
  /** CRC32C (as an unsigned int) of those bytes. */
  crc: number;
}

export interface UploadSessionJournal {
  load(): Promise<UploadSessionRecord | undefined>;
  save(record: UploadSessionRecord): Promise<void>;
  clear(): Promise<void>;
}

export interface UploadFileOptions extends WriteOptions {
  /** The file's size, as listed when the upload was planned. */
  size: number;
  /** Where a resumable upload keeps its session, so a killed process's upload resumes. */
  journal?: UploadSessionJournal;
  /** Called with bytes newly stored, for progress. */
  onBytes?: (bytes: number) => void;
}

export interface BucketInfo {
  name: string;
  /** As the cloud names it, e.g. `US-CENTRAL1`, `US` (multi-region). */
  location?: string;
  locationType?: string;
}

/**
 * The operations Strato needs from any object store (file://, gs://, s3://):
 * list, stat, ranged read, streamed and resumable write, delete.
 */
export interface ObjectStore {
  readonly scheme: 'file' | 'gs' | 's3';
  /** Bucket name; empty for `file://`. */
  readonly bucket: string;
  /** One page of objects; call again with `nextPageToken` for the next. */
  list(options?: ListOptions): Promise<ListPage>;
  /** Whether `list` honours `startOffset` and `endOffset` (gs://). */
  readonly listsByRange?: boolean;
  /** Whether `list` honours `matchGlob` (gs://). */
  readonly listsByGlob?: boolean;
  /** Metadata of one object, or undefined when it does not exist. */
  stat(key: string): Promise<ObjectInfo | undefined>;
  /** Bytes of an object (or a range of it). Throws E_NOT_FOUND when it does not exist. */
  read(key: string, range?: ByteRange): Promise<Buffer>;
  /** Streams an object (or a range of it). */
  readStream(key: string, range?: ByteRange): Promise<Readable>;
  /**
   * Writes a whole object. The object appears under `key` only when complete:
   * a failed or interrupted write never leaves a partial object behind.
   */
  write(key: string, data: Buffer | Readable, options?: WriteOptions): Promise<ObjectInfo>;
  /** Deletes an object; deleting one that does not exist is a quiet no-op. */
  delete(key: string, options?: DeleteOptions): Promise<void>;
  /**
   * Uploads a local file, streamed (never read whole into memory when large),
   * CRC32C-checked, resumable where the store can resume. Stores without it
   * get `write(key, stream)`.
   */
  uploadFile?(key: string, path: string, options: UploadFileOptions): Promise<ObjectInfo>;
  /** The bucket, or undefined when it does not exist (file:// has none). */
  findBucket?(): Promise<BucketInfo | undefined>;
  /** Releases connections and timers. */
  close?(): Promise<void>;
}

/** Every object under a prefix, following pages. */
export async function* listAll(
  store: ObjectStore,
  options: Omit<ListOptions, 'pageToken'> = {},
): AsyncGenerator<ObjectInfo> {
  let pageToken: string | undefined;
  do {
    const page = await store.list({ ...options, ...(pageToken ? { pageToken } : {}) });
    yield* page.objects;
    pageToken = page.nextPageToken;
  } while (pageToken);
}

/** What a store without `listsByGlob` throws when asked for `matchGlob`: a caller's bug, not the user's. */
export function globUnsupported(where: string): StratoError {
  return new StratoError('E_INTERNAL', `${where} cannot list by matchGlob (only gs:// can)`, {
    hint: 'list by prefix and filter the keys, or check the store has listsByGlob first',
  });
}
