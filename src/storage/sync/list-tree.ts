/**
 * Every object under a prefix, listing parts of the tree in parallel: one
 * delimited listing splits the tree into its top folders (descending while
 * there is only one), then the folders are listed in full, several at once.
 * Page after page is a chain of round trips; listings side by side are not.
 * Where the store lists key ranges (gs://), neighbouring folders share one
 * listing, as many ranges as listings run at once: 100 folders take 16
 * requests, not 100, which is most of a no-change sync's client time.
 * The listings are brief (no MD5 or update time): the sync compares sizes,
 * recorded mtimes and CRC32Cs only.
 */

import type { ListOptions, ObjectInfo, ObjectStore } from '../types.ts';
import { runPool } from './pool.ts';

/** How deep to descend through single-folder levels looking for a split. */
const MAX_DESCENT = 4;

export async function listTree(store: ObjectStore, prefix: string, concurrency = 16): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  let folders = [prefix];
  let parent = prefix;
  for (let depth = 0; depth < MAX_DESCENT && folders.length === 1; depth++) {
    parent = folders[0]!;
    const split = await listLevel(store, parent);
    objects.push(...split.objects);
    folders = split.folders;
  }
  const parts = store.listsByRange ? folderRanges(parent, folders, concurrency) : folders.map(wholeFolder);
  const failures = await runPool(parts, concurrency, async (part) => {
    // Page by page, not through listAll's generator: no promise per object.
    let pageToken: string | undefined;
    do {
      const page = await store.list({ ...part.options, brief: true, ...(pageToken ? { pageToken } : {}) });
      for (const object of page.objects) if (part.keep(object.key)) objects.push(object);
      pageToken = page.nextPageToken;
    } while (pageToken);
  });
  if (failures.length > 0) throw failures[0]!.error;
  return objects;
}

interface ListPart {
  options: ListOptions;
  /** False for objects another listing already returned. */
  keep(key: string): boolean;
}

const wholeFolder = (folder: string): ListPart => ({
  options: folder ? { prefix: folder } : {},
  keep: () => true,
});

/**
 * The folders (sorted, as listings return them) cut into at most `count`
 * runs of neighbours, each listed as one key range under `parent`. A range
 * also spans the objects directly under `parent` that sort between its
 * folders; the delimited listing returned those already.
 */
function folderRanges(parent: string, folders: readonly string[], count: number): ListPart[] {
  if (folders.length === 0) return [];
  const size = Math.ceil(folders.length / Math.min(count, folders.length));
  const keep = (key: string) => key.indexOf('/', parent.length) !== -1;
  const parts: ListPart[] = [];
  for (let i = 0; i < folders.length; i += size) {
    const end = folders[i + size];
    parts.push({
      options: {
        ...(parent ? { prefix: parent } : {}),
        startOffset: folders[i]!,
        ...(end ? { endOffset: end } : {}),
      },
      keep,
    });
  }
  return parts;
}

async function listLevel(
  store: ObjectStore,
  prefix: string,
): Promise<{ objects: ObjectInfo[]; folders: string[] }> {
  const objects: ObjectInfo[] = [];
  const folders: string[] = [];
  let pageToken: string | undefined;
  do {
    const page = await store.list({
      ...(prefix ? { prefix } : {}),
      delimiter: '/',
      brief: true,
      ...(pageToken ? { pageToken } : {}),
    });
    objects.push(...page.objects);
    folders.push(...page.prefixes);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { objects, folders };
}
