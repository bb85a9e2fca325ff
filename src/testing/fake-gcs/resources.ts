/**
 * JSON API representations of buckets and objects
 * (https://cloud.google.com/storage/docs/json_api/v1/objects#resource).
 * int64 fields are strings, as the real service sends them.
 */

import { settingsResource } from './bucket-settings.ts';
import type { StoredBucket, StoredObject } from './state.ts';

export function bucketResource(bucket: StoredBucket, baseUrl: string): Record<string, unknown> {
  return {
    kind: 'storage#bucket',
    selfLink: `${baseUrl}/storage/v1/b/${bucket.name}`,
    id: bucket.name,
    name: bucket.name,
    projectNumber: '0',
    metageneration: String(bucket.metageneration),
    location: bucket.location,
    locationType: bucket.locationType,
    storageClass: bucket.storageClass,
    etag: 'CAE=',
    timeCreated: bucket.timeCreated,
    updated: bucket.updated,
    ...settingsResource(bucket.settings),
    ...(bucket.labels ? { labels: bucket.labels } : {}),
    ...(bucket.versioning ? { versioning: { enabled: bucket.versioning.enabled } } : {}),
  };
}

export function objectResource(object: StoredObject, baseUrl: string): Record<string, unknown> {
  // Built field by field, not by spreads: listings build thousands of these per second.
  const encoded = encodeURIComponent(object.name);
  const resource: Record<string, unknown> = {
    kind: 'storage#object',
    id: `${object.bucket}/${object.name}/${object.generation}`,
    selfLink: `${baseUrl}/storage/v1/b/${object.bucket}/o/${encoded}`,
    mediaLink: `${baseUrl}/download/storage/v1/b/${object.bucket}/o/${encoded}?generation=${object.generation}&alt=media`,
    name: object.name,
    bucket: object.bucket,
    generation: object.generation,
    metageneration: String(object.metageneration),
    contentType: object.contentType,
    storageClass: 'STANDARD',
    size: String(object.size),
  };
  if (object.md5Hash) resource.md5Hash = object.md5Hash;
  resource.crc32c = object.crc32c;
  resource.etag = etagOf(object);
  resource.timeCreated = object.timeCreated;
  resource.updated = object.updated;
  resource.timeStorageClassUpdated = object.timeCreated;
  if (object.contentEncoding) resource.contentEncoding = object.contentEncoding;
  if (object.cacheControl) resource.cacheControl = object.cacheControl;
  if (object.contentDisposition) resource.contentDisposition = object.contentDisposition;
  if (object.contentLanguage) resource.contentLanguage = object.contentLanguage;
  if (object.metadata && Object.keys(object.metadata).length > 0) resource.metadata = object.metadata;
  if (object.componentCount) resource.componentCount = object.componentCount;
  if (object.timeDeleted) resource.timeDeleted = object.timeDeleted;
  return resource;
}

/** GCS etags change with generation and metageneration. */
export function etagOf(object: StoredObject): string {
  return `"${object.generation}-${object.metageneration}"`;
}

/** Fields a client may set on insert, patch or compose; the rest are the service's. */
export interface WritableObjectFields {
  contentType?: string;
  contentEncoding?: string;
  cacheControl?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  metadata?: Record<string, string | null>;
  crc32c?: string;
  md5Hash?: string;
  name?: string;
}

/** Applies user-settable fields; `metadata` keys set to null are removed (patch semantics). */
export function applyWritableFields(
  object: StoredObject,
  fields: WritableObjectFields,
  mode: 'patch' | 'replace',
): StoredObject {
  const next: StoredObject = { ...object };
  for (const key of [
    'contentType',
    'contentEncoding',
    'cacheControl',
    'contentDisposition',
    'contentLanguage',
  ] as const) {
    if (key in fields) {
      const value = fields[key];
      if (value === undefined || value === null) delete next[key as Exclude<typeof key, 'contentType'>];
      else next[key] = value;
    } else if (mode === 'replace' && key !== 'contentType') {
      delete next[key];
    }
  }
  if ('metadata' in fields || mode === 'replace') {
    const merged: Record<string, string> = mode === 'patch' ? { ...(object.metadata ?? {}) } : {};
    for (const [key, value] of Object.entries(fields.metadata ?? {})) {
      if (value === null) delete merged[key];
      else merged[key] = String(value);
    }
    if (Object.keys(merged).length > 0) next.metadata = merged;
    else delete next.metadata;
  }
  next.contentType ||= 'application/octet-stream';
  return next;
}
