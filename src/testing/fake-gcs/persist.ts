/**
 * On-disk fakes keep their object index durable as objects are written: the
 * bytes are files under `<dataDir>/blobs/`, and every change to the index
 * (a bucket made or removed, an object written, updated or deleted) is
 * appended to `<dataDir>/journal.ndjson` as it happens, before the server
 * answers. A clean close folds the journal into `<dataDir>/index.json`; a
 * start loads the index and replays the journal, so a `kill -9` loses no
 * object a client was told was written. A write is in the kernel once
 * `write(2)` returns, which is what a killed process needs; no fsync (a
 * power cut is beyond what a fake promises).
 */

import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { GcsState, StateChange, StoredBucket, StoredObject } from './state.ts';

const INDEX_FILE = 'index.json';
const JOURNAL_FILE = 'journal.ndjson';
const INDEX_VERSION = 1;

/** Noncurrent generations (a Map) are not saved: a restart keeps the live objects only. */
type SavedBucket = Omit<StoredBucket, 'objects' | 'sortedNames' | 'noncurrent'> & { objects: StoredObject[] };

/** Open journals by data dir: the file a state appends to until its index is saved. */
const journals = new Map<string, number>();

export async function saveIndex(state: GcsState, dataDir: string): Promise<void> {
  const buckets: SavedBucket[] = [...state.buckets.values()].map(
    ({ objects, sortedNames: _, noncurrent: _noncurrent, ...bucket }) => ({
      ...bucket,
      objects: [...objects.values()],
    }),
  );
  const path = join(dataDir, INDEX_FILE);
  await writeFile(`${path}.tmp`, JSON.stringify({ version: INDEX_VERSION, buckets }));
  await rename(`${path}.tmp`, path);
  // Everything in the journal is in the index now. (A crash before this line replays it again: harmless.)
  const fd = journals.get(dataDir);
  if (fd !== undefined) {
    state.journal = undefined;
    ftruncateSync(fd, 0);
    closeSync(fd);
    journals.delete(dataDir);
  }
}

export async function loadIndex(state: GcsState, dataDir: string): Promise<void> {
  let text: string | undefined;
  try {
    text = await readFile(join(dataDir, INDEX_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
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
  await replayJournal(state, join(dataDir, JOURNAL_FILE));
  await removeOrphanBlobs(state, join(dataDir, 'blobs'));
  const fd = openSync(join(dataDir, JOURNAL_FILE), 'a');
  journals.set(dataDir, fd);
  state.journal = (change) => {
    writeSync(fd, `${JSON.stringify(change)}\n`);
  };
}

/** Blobs no object names: uploads a crash cut off before they were committed. Nothing is in flight at start. */
async function removeOrphanBlobs(state: GcsState, blobDir: string): Promise<void> {
  const named = new Set<string>();
  for (const bucket of state.buckets.values()) {
    for (const object of bucket.objects.values())
      if (object.blob.kind === 'disk') named.add(object.blob.path);
  }
  const files = await readdir(blobDir).catch(() => [] as string[]);
  await Promise.all(
    files
      .map((file) => join(blobDir, file))
      .filter((path) => !named.has(path))
      .map((path) => rm(path, { force: true })),
  );
}

async function replayJournal(state: GcsState, path: string): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let change: StateChange;
    try {
      change = JSON.parse(line) as StateChange;
    } catch {
      break; // the last line, cut short by the crash: its write was never answered
    }
    applyChange(state, change);
  }
}

function applyChange(state: GcsState, change: StateChange): void {
  switch (change.op) {
    case 'bucket': {
      // A create, or a change of labels, settings or IAM policy: the objects stay.
      const existing = state.buckets.get(change.bucket.name);
      state.buckets.set(change.bucket.name, {
        ...change.bucket,
        objects: existing?.objects ?? new Map(),
        sortedNames: undefined,
        ...(existing?.noncurrent ? { noncurrent: existing.noncurrent } : {}),
      });
      return;
    }
    case 'deleteBucket':
      state.buckets.delete(change.name);
      return;
    case 'put': {
      const bucket = state.buckets.get(change.object.bucket);
      bucket?.objects.set(change.object.name, change.object);
      if (bucket) bucket.sortedNames = undefined;
      return;
    }
    case 'delete': {
      const bucket = state.buckets.get(change.bucket);
      bucket?.objects.delete(change.name);
      if (bucket) bucket.sortedNames = undefined;
      return;
    }
  }
}
