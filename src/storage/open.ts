/**
 * URI → object store. Each cloud's store (and its SDK) is imported only when
 * a URI of its scheme is opened, so commands that never touch gs:// or s3://
 * never load those SDKs.
 */

import { parseObjectUri } from '../internal/uri.ts';
import { FileObjectStore, fileKey } from './file-store.ts';
import type { GcsStoreOptions } from './gcs/store.ts';
import type { S3StoreOptions } from './s3/store.ts';
import type { ObjectStore } from './types.ts';

/** Endpoints, credentials and the folder relative paths resolve against. */
export interface StoreOptions {
  /** Options for gs:// stores: endpoint (a fake's), credentials, retries, transport. */
  gcs?: GcsStoreOptions;
  /** Options for s3:// stores: endpoint, region, credentials. */
  s3?: S3StoreOptions;
  /** Relative `file://` URIs resolve against this; default: cwd. */
  baseDir?: string;
}

/** An object store and the key a URI names in it. */
export interface OpenedStore {
  store: ObjectStore;
  /** The URI's path inside the bucket (for file://, the absolute path without its leading `/`). */
  key: string;
}

/** The object store behind a URI (`file://`, `gs://`, `s3://`, or a plain path) and the key inside it. */
export async function openObjectStore(uri: string, options: StoreOptions = {}): Promise<OpenedStore> {
  const parsed = parseObjectUri(uri, options.baseDir);
  if (parsed.scheme === 'file') {
    const key = fileKey(parsed.path);
    return { store: new FileObjectStore(), key: uri.endsWith('/') && key !== '' ? `${key}/` : key };
  }
  if (parsed.scheme === 'gs') {
    const { GcsObjectStore } = await import('./gcs/store.ts');
    return { store: new GcsObjectStore(parsed.bucket, options.gcs), key: parsed.key };
  }
  const { S3ObjectStore } = await import('./s3/store.ts');
  return { store: new S3ObjectStore(parsed.bucket, options.s3), key: parsed.key };
}
