/**
 * Resumable-upload sessions kept on disk under `$STRATO_HOME/cache/uploads/`,
 * one small file per object being uploaded, so a push killed half-way
 * through a large file resumes from what the service has when run again.
 * A record is only used for the same file at the same size and mtime.
 */

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mtimeKey } from '../mtime.ts';
import type { UploadSessionJournal, UploadSessionRecord } from '../types.ts';

interface SavedSession extends UploadSessionRecord {
  destination: string;
  size: number;
  mtimeNs: string;
}

export function sessionJournal(
  cacheDir: string,
  destination: string,
  file: { size: number; mtimeMs: number },
): UploadSessionJournal {
  const dir = join(cacheDir, 'uploads');
  // Named lazily: only large (resumable) uploads ever touch their journal.
  let named: string | undefined;
  const pathOf = () => {
    named ??= join(dir, `${createHash('sha256').update(destination).digest('hex').slice(0, 40)}.json`);
    return named;
  };
  const mtimeNs = mtimeKey(file.mtimeMs);
  return {
    async load() {
      try {
        const saved = JSON.parse(await readFile(pathOf(), 'utf8')) as SavedSession;
        if (saved.destination !== destination || saved.size !== file.size || saved.mtimeNs !== mtimeNs)
          return undefined;
        return { uri: saved.uri, committed: saved.committed, crc: saved.crc };
      } catch {
        return undefined;
      }
    },
    async save(record) {
      await mkdir(dir, { recursive: true });
      const saved: SavedSession = { ...record, destination, size: file.size, mtimeNs };
      const tmp = `${pathOf()}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(saved));
      await rename(tmp, pathOf());
    },
    async clear() {
      await rm(pathOf(), { force: true });
    },
  };
}
