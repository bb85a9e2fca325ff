/**
 * The fake's buckets and objects: metadata in memory, bytes in a blob store.
 * Every mutation replaces whole records, so a reader never sees an object
 * half-written, as in real Cloud Storage.
 */

import type { Blob, BlobStore } from './blobs.ts';
import type { BucketSettings } from './bucket-settings.ts';
import { conflict, GcsHttpError, notFound, preconditionFailed } from './errors.ts';
import { globToRegExp } from './glob.ts';
import {
  generationsOf,
  keepNoncurrent,
  namesWithVersions,
  removeNoncurrent,
  versioningEnabled,
} from './versions.ts';

export interface StoredObject {
  bucket: string;
  name: string;
  /** Decimal string, as the JSON API sends int64 values. */
  generation: string;
  metageneration: number;
  size: number;
  /** Base64 of the big-endian CRC32C. */
  crc32c: string;
  /** Base64 MD5; absent for composite objects, as in GCS. */
  md5Hash?: string;
  contentType: string;
  contentEncoding?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  metadata?: Record<string, string>;
  timeCreated: string;
  updated: string;
  componentCount?: number;
  /** When a generation became noncurrent (versioned buckets, versions.ts). */
  timeDeleted?: string;
  blob: Blob;
}

export interface StoredBucket {
  name: string;
  location: string;
  locationType: string;
  storageClass: string;
  labels?: Record<string, string>;
  /** Access, versioning and lifecycle settings (bucket-settings.ts); absent: the defaults. */
  settings?: BucketSettings;
  timeCreated: string;
  updated: string;
  metageneration: number;
  objects: Map<string, StoredObject>;
  /** Object names in order; rebuilt lazily after inserts and deletes. */
  sortedNames: string[] | undefined;
  /** Object versioning; noncurrent generations by name, oldest first (versions.ts). */
  versioning?: { enabled: boolean };
  noncurrent?: Map<string, StoredObject[]>;
  /** The bucket's IAM policy once set (routes-bucket-iam.ts); absent: the default one. */
  iamPolicy?: {
    version: number;
    bindings: { role: string; members: string[]; condition?: Record<string, unknown> }[];
  };
}

export interface ListParams {
  prefix?: string;
  delimiter?: string;
  pageToken?: string;
  maxResults?: number;
  startOffset?: string;
  endOffset?: string;
  /** Only names matching this glob (`glob.ts`); applied with `prefix`, before the delimiter rolls names up. */
  matchGlob?: string;
  includeTrailingDelimiter?: boolean;
  /** Every generation of each name, noncurrent ones too. */
  versions?: boolean;
}

export interface ListResult {
  items: StoredObject[];
  prefixes: string[];
  nextPageToken?: string;
}

export interface Preconditions {
  ifGenerationMatch?: string;
  ifGenerationNotMatch?: string;
  ifMetagenerationMatch?: string;
  ifMetagenerationNotMatch?: string;
}

/** Largest page the JSON API returns (objects.list `maxResults`). */
const MAX_PAGE = 1000;

/** Multi-regions and predefined dual-regions (https://cloud.google.com/storage/docs/locations). */
const MULTI_REGIONS = new Set(['US', 'EU', 'ASIA']);
const DUAL_REGIONS = new Set(['NAM4', 'EUR4', 'ASIA1', 'EUR5', 'EUR7', 'EUR8']);

export function locationTypeOf(location: string): string {
  if (MULTI_REGIONS.has(location)) return 'multi-region';
  if (DUAL_REGIONS.has(location)) return 'dual-region';
  return 'region';
}

/** One change to the state, as the on-disk journal records it (see persist.ts). */
export type StateChange =
  | { op: 'bucket'; bucket: Omit<StoredBucket, 'objects' | 'sortedNames' | 'noncurrent'> }
  | { op: 'deleteBucket'; name: string }
  | { op: 'put'; object: StoredObject }
  | { op: 'delete'; bucket: string; name: string };

export class GcsState {
  readonly buckets = new Map<string, StoredBucket>();
  private lastGeneration = 0;
  /** Told of every change once it is made (before an old blob is released): the data dir's journal. */
  journal: ((change: StateChange) => void) | undefined;

  readonly blobs: BlobStore;

  constructor(blobs: BlobStore) {
    this.blobs = blobs;
  }

  /** Generations are microsecond timestamps in GCS; kept strictly increasing here. */
  nextGeneration(): string {
    this.lastGeneration = Math.max(this.lastGeneration + 1, Date.now() * 1000);
    return String(this.lastGeneration);
  }

  createBucket(
    name: string,
    options: {
      location?: string;
      storageClass?: string;
      labels?: Record<string, string>;
      settings?: BucketSettings;
    } = {},
  ): StoredBucket {
    if (this.buckets.has(name)) {
      throw conflict('Your previous request to create the named bucket succeeded and you already own it.');
    }
    const now = new Date().toISOString();
    const location = (options.location ?? 'US').toUpperCase();
    const bucket: StoredBucket = {
      name,
      location,
      locationType: locationTypeOf(location),
      storageClass: options.storageClass ?? 'STANDARD',
      ...(options.labels ? { labels: options.labels } : {}),
      ...(options.settings ? { settings: options.settings } : {}),
      timeCreated: now,
      updated: now,
      metageneration: 1,
      objects: new Map(),
      sortedNames: [],
    };
    this.buckets.set(name, bucket);
    this.bucketChanged(bucket);
    return bucket;
  }

  /** Records a bucket's new labels, settings or IAM policy (in the data dir's journal, so a restart keeps them). */
  bucketChanged(bucket: StoredBucket): void {
    const { objects: _objects, sortedNames: _sorted, noncurrent: _noncurrent, ...saved } = bucket;
    this.journal?.({ op: 'bucket', bucket: saved });
  }

  getBucket(name: string): StoredBucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw notFound(`The specified bucket does not exist: ${name}`);
    return bucket;
  }

  async deleteBucket(name: string): Promise<void> {
    const bucket = this.getBucket(name);
    if (bucket.objects.size > 0 || (bucket.noncurrent?.size ?? 0) > 0) {
      throw new GcsHttpError(409, 'conflict', 'The bucket you tried to delete is not empty.');
    }
    this.buckets.delete(name);
    this.journal?.({ op: 'deleteBucket', name });
  }

  findObject(bucketName: string, name: string): StoredObject | undefined {
    return this.getBucket(bucketName).objects.get(name);
  }

  getObject(bucketName: string, name: string): StoredObject {
    const object = this.findObject(bucketName, name);
    if (!object) throw notFound(`No such object: ${bucketName}/${name}`);
    return object;
  }

  /** Stores a new generation of an object, replacing the old one in one step. */
  async putObject(object: StoredObject, conditions: Preconditions = {}): Promise<StoredObject> {
    const bucket = this.getBucket(object.bucket);
    const previous = bucket.objects.get(object.name);
    checkPreconditions(previous, conditions);
    bucket.objects.set(object.name, object);
    this.journal?.({ op: 'put', object });
    if (!previous) bucket.sortedNames = undefined;
    else if (versioningEnabled(bucket)) keepNoncurrent(bucket, previous);
    else if (previous.blob !== object.blob) await this.blobs.release(previous.blob);
    return object;
  }

  /** Replaces an object's metadata (not its bytes): a new metageneration. */
  updateObject(object: StoredObject): StoredObject {
    this.getBucket(object.bucket).objects.set(object.name, object);
    this.journal?.({ op: 'put', object });
    return object;
  }

  /** Deletes the live object (kept as noncurrent in a versioned bucket), or one `generation` for good. */
  async deleteObject(
    bucketName: string,
    name: string,
    conditions: Preconditions = {},
    generation?: string,
  ): Promise<void> {
    const bucket = this.getBucket(bucketName);
    const object = bucket.objects.get(name);
    if (generation !== undefined && generation !== object?.generation) {
      const removed = removeNoncurrent(bucket, name, generation);
      if (!removed) throw notFound(`No such object: ${bucketName}/${name}#${generation}`);
      await this.blobs.release(removed.blob);
      return;
    }
    if (!object) throw notFound(`No such object: ${bucketName}/${name}`);
    checkPreconditions(object, conditions);
    bucket.objects.delete(name);
    this.journal?.({ op: 'delete', bucket: bucketName, name });
    bucket.sortedNames = undefined;
    if (generation === undefined && versioningEnabled(bucket)) keepNoncurrent(bucket, object);
    else await this.blobs.release(object.blob);
  }

  list(bucketName: string, params: ListParams): ListResult {
    const bucket = this.getBucket(bucketName);
    if (!bucket.sortedNames) {
      bucket.sortedNames = bucket.noncurrent?.size
        ? namesWithVersions(bucket)
        : [...bucket.objects.keys()].sort(compareNames);
    }
    const names = bucket.sortedNames;
    // A name may have only noncurrent generations: listed with `versions`, skipped without.
    const itemsOf = (name: string): StoredObject[] => {
      if (params.versions) return generationsOf(bucket, name);
      const live = bucket.objects.get(name);
      return live ? [live] : [];
    };
    const prefix = params.prefix ?? '';
    const delimiter = params.delimiter || undefined;
    const max = Math.min(Math.max(params.maxResults ?? MAX_PAGE, 1), MAX_PAGE);
    const token = params.pageToken ? decodePageToken(params.pageToken) : undefined;
    const glob = params.matchGlob ? globToRegExp(params.matchGlob) : undefined;
    let from = prefix;
    if (params.startOffset && params.startOffset > from) from = params.startOffset;
    let index = lowerBound(names, from);
    const items: StoredObject[] = [];
    const prefixes: string[] = [];
    let last: string | undefined;
    let lastWasPrefix = false;
    for (; index < names.length; index++) {
      const name = names[index]!;
      if (!name.startsWith(prefix)) break;
      if (params.endOffset && name >= params.endOffset) break;
      if (glob && !glob.test(name)) continue;
      if (token && (name <= token.after || (token.prefix && name.startsWith(token.after)))) continue;
      if (items.length + prefixes.length >= max) {
        return { items, prefixes, nextPageToken: encodePageToken(last!, lastWasPrefix) };
      }
      const cut = delimiter ? name.indexOf(delimiter, prefix.length) : -1;
      if (delimiter && cut !== -1) {
        const rolledUp = name.slice(0, cut + delimiter.length);
        if (prefixes.at(-1) !== rolledUp) {
          prefixes.push(rolledUp);
          if (params.includeTrailingDelimiter && name === rolledUp) items.push(...itemsOf(name));
        } else if (params.includeTrailingDelimiter && name === rolledUp) {
          items.push(...itemsOf(name));
        }
        last = rolledUp;
        lastWasPrefix = true;
        continue;
      }
      const found = itemsOf(name);
      if (found.length === 0) continue;
      items.push(...found);
      last = name;
      lastWasPrefix = false;
    }
    return { items, prefixes };
  }
}

export function checkPreconditions(object: StoredObject | undefined, conditions: Preconditions): void {
  const generation = object?.generation ?? '0';
  const { ifGenerationMatch, ifGenerationNotMatch, ifMetagenerationMatch, ifMetagenerationNotMatch } =
    conditions;
  if (ifGenerationMatch !== undefined && ifGenerationMatch !== generation) {
    throw preconditionFailed(
      `ifGenerationMatch ${ifGenerationMatch} does not match generation ${generation}`,
    );
  }
  if (ifGenerationNotMatch !== undefined && ifGenerationNotMatch === generation) {
    throw preconditionFailed(`ifGenerationNotMatch ${ifGenerationNotMatch} matches`);
  }
  if (ifMetagenerationMatch !== undefined) {
    if (!object || String(object.metageneration) !== ifMetagenerationMatch) {
      throw preconditionFailed(`ifMetagenerationMatch ${ifMetagenerationMatch} does not match`);
    }
  }
  if (ifMetagenerationNotMatch !== undefined && object) {
    if (String(object.metageneration) === ifMetagenerationNotMatch) {
      throw preconditionFailed(`ifMetagenerationNotMatch ${ifMetagenerationNotMatch} matches`);
    }
  }
}

/** GCS lists in lexicographic order of the UTF-8 bytes; code-unit order agrees outside astral planes. */
function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lowerBound(names: readonly string[], value: string): number {
  let low = 0;
  let high = names.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (names[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

function encodePageToken(after: string, prefix: boolean): string {
  return Buffer.from(JSON.stringify({ after, prefix })).toString('base64url');
}

function decodePageToken(token: string): { after: string; prefix: boolean } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      after: string;
      prefix: boolean;
    };
    if (typeof parsed.after === 'string') return parsed;
  } catch {}
  throw new GcsHttpError(400, 'invalid', `Invalid page token: ${token}`);
}
