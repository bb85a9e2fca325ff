/**
 * The files of a source tree with their sizes and modification times.
 * Symlinks are followed while they stay inside the tree; one that leads
 * out of it is refused before anything is uploaded.
 */

import { type Dirent, statSync } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { StratoError } from '../../errors.ts';
import type { PathFilter } from './filters.ts';

export interface LocalFile {
  /** Path relative to the source root, `/`-separated: the key suffix. */
  rel: string;
  /** Absolute path to read. */
  path: string;
  size: number;
  /**
   * Modification time in milliseconds, to within a microsecond: the stat's
   * float, which is half the cost of a bigint stat and needs no bigint per
   * file. Exact nanoseconds are read again for the files that get uploaded,
   * for their metadata.
   */
  mtimeMs: number;
}

const isInside = (root: string, path: string) =>
  path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

/** Every regular file under `root` that `filter` keeps. */
export async function scanLocalTree(root: string, filter: PathFilter): Promise<LocalFile[]> {
  const realRoot = await realpath(root);
  const files: LocalFile[] = [];
  const visited = new Set<string>([realRoot]);

  // Synchronous stat: about 5 µs a file against 15-50 µs through the thread pool
  // (measured on 10,000 files), and a no-change re-sync is mostly stats.
  const addFile = (path: string, rel: string) => {
    if (!filter(rel)) return;
    const s = statSync(path, { throwIfNoEntry: false });
    if (s) files.push({ rel, path, size: s.size, mtimeMs: s.mtimeMs }); // else: deleted while scanning
  };

  const followLink = async (path: string, rel: string, dir: string): Promise<void> => {
    // Excluded links are skipped before they are checked: the check's own hint says to exclude them.
    if (filter.excludes?.(rel)) return;
    const target = await realpath(path).catch(() => undefined);
    if (target === undefined) {
      throw new StratoError('E_USAGE', `symlink ${path} is broken`, {
        hint: 'fix or remove it, or --exclude it',
      });
    }
    if (!isInside(realRoot, target)) {
      throw new StratoError('E_USAGE', `symlink ${path} leads out of the source tree (to ${target})`, {
        hint: `copy the data into ${root}, or --exclude '${rel}'`,
      });
    }
    const s = await stat(target);
    if (s.isFile()) return addFile(target, rel);
    if (s.isDirectory()) {
      // A link to a folder that contains it would loop forever; each linked folder is walked once.
      if (visited.has(target) || isInside(target, dir)) return;
      visited.add(target);
      return walk(target, rel);
    }
  };

  // Files are handled inline, folders and links concurrently: no promise per file.
  const walk = async (dir: string, relDir: string): Promise<void> => {
    const entries: Dirent[] = await readdir(dir, { withFileTypes: true });
    const nested: Promise<void>[] = [];
    for (const entry of entries) {
      const path = dir.endsWith(sep) ? `${dir}${entry.name}` : `${dir}${sep}${entry.name}`;
      const rel = relDir === '' ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isFile()) addFile(path, rel);
      else if (entry.isDirectory()) nested.push(walk(path, rel));
      else if (entry.isSymbolicLink()) nested.push(followLink(path, rel, dir));
      // sockets, fifos, devices: not data
    }
    await Promise.all(nested);
  };

  await walk(realRoot, '');
  return files;
}
