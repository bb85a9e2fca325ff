/**
 * On-disk fakes keep their object index in `<dataDir>/index.json` (the bytes
 * are already files under `<dataDir>/blobs/`), saved when the server closes
 * and loaded when it starts, so a data dir survives restarts.
 */

import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GcsState, StoredBucket, StoredObject } from './state.ts';

const INDEX_FILE = 'index.json';
const INDEX_VERSION = 1;

type SavedBucket = Omit<StoredBucket, 'objects' | 'sortedNames'> & { objects: StoredObject[] };

export async function saveIndex(state: GcsState, dataDir: string): Promise<void> {
  const buckets: SavedBucket[] = [...state.buckets.values()].map(
    ({ objects, sortedNames: _, ...bucket }) => ({
      ...bucket,
      objects: [...objects.values()],
    }),
  );
  const path = join(dataDir, INDEX_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify({ version: INDEX_VERSION, buckets }));
  await rename(`${path}.tmp`, path);
}

export async function loadIndex(state: GcsState, dataDir: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(join(dataDir, INDEX_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const saved = JSON.parse(text) as { version: number; buckets: SavedBucket[] };
  if (saved.version !== INDEX_VERSION)
    throw new Error(`${dataDir}/${INDEX_FILE}: unknown index version ${saved.version}`);
  for (const { objects, ...bucket } of saved.buckets) {
    state.buckets.set(bucket.name, {
      ...bucket,
      objects: new Map(objects.map((o) => [o.name, o])),
      sortedNames: undefined,
    });
  }
}
