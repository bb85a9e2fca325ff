/**
 * Every object under a prefix, listing its folders in parallel: one
 * delimited listing splits the tree into its top folders (descending while
 * there is only one), then each folder is listed in full, several at once.
 * Page after page is a chain of round trips; folders side by side are not.
 */

import { listAll, type ObjectInfo, type ObjectStore } from '../types.ts';
import { runPool } from './pool.ts';

/** How deep to descend through single-folder levels looking for a split. */
const MAX_DESCENT = 4;

export async function listTree(store: ObjectStore, prefix: string, concurrency = 16): Promise<ObjectInfo[]> {
  const objects: ObjectInfo[] = [];
  let folders = [prefix];
  for (let depth = 0; depth < MAX_DESCENT && folders.length === 1; depth++) {
    const split = await listLevel(store, folders[0]!);
    objects.push(...split.objects);
    folders = split.folders;
  }
  const failures = await runPool(folders, concurrency, async (folder) => {
    for await (const object of listAll(store, folder ? { prefix: folder } : {})) objects.push(object);
  });
  if (failures.length > 0) throw failures[0]!.error;
  return objects;
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
      ...(pageToken ? { pageToken } : {}),
    });
    objects.push(...page.objects);
    folders.push(...page.prefixes);
    pageToken = page.nextPageToken;
  } while (pageToken);
  return { objects, folders };
}
