/**
 * Where metrics are read from: a run dir or a single event file, as a local
 * path or an object URI, turned into a store and a key at the edge.
 */

import { resolve } from 'node:path';
import { isUri, parseObjectUri } from '../internal/uri.ts';
import { FileObjectStore, fileKey } from '../storage/file-store.ts';
import { openObjectStore, type StoreOptions } from '../storage/open.ts';
import type { ObjectStore } from '../storage/types.ts';

export interface MetricsSource {
  store: ObjectStore;
  /** Key of the run dir or event file, without a trailing `/`. */
  key: string;
  /** How a key of this store is shown to users: a local path, or a URI. */
  display(key: string): string;
  /** The store was opened here and must be closed here. */
  owned: boolean;
}

export interface OpenMetricsSourceOptions {
  /** Use this store instead of opening one (its scheme must match the target's). */
  store?: ObjectStore;
  /** For gs:// and s3://: endpoint, credentials. Relative paths resolve against `baseDir` (default: cwd). */
  storeOptions?: StoreOptions;
}

function displayFor(store: ObjectStore): (key: string) => string {
  return store.scheme === 'file' ? (key) => `/${key}` : (key) => `${store.scheme}://${store.bucket}/${key}`;
}

export async function openMetricsSource(
  target: string,
  options: OpenMetricsSourceOptions = {},
): Promise<MetricsSource> {
  const baseDir = options.storeOptions?.baseDir ?? process.cwd();
  let store = options.store;
  let key: string;
  let owned = false;
  if (isUri(target)) {
    const uri = parseObjectUri(target, baseDir);
    if (uri.scheme === 'file') {
      key = fileKey(uri.path);
      store ??= new FileObjectStore();
    } else if (store) {
      key = uri.key;
    } else {
      const opened = await openObjectStore(target, options.storeOptions);
      store = opened.store;
      key = opened.key;
      owned = true;
    }
  } else {
    key = fileKey(resolve(baseDir, target));
    store ??= new FileObjectStore();
  }
  return { store, key: key.replace(/\/+$/, ''), display: displayFor(store), owned };
}
