/**
 * Local cache of file CRC32Cs keyed by (size, mtime), one file per source
 * tree under `$STRATO_HOME/cache/crc32c/`. When an object's size matches but
 * its recorded mtime does not (uploaded by another tool, or touched files),
 * the sync compares checksums; the cache spares re-reading unchanged files.
 * The cache file is read only when a checksum is needed or a new one saved,
 * so a no-change re-sync never parses it.
 */

import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { crc32cOfFile } from '../checksum.ts';
import { mtimeKey } from '../mtime.ts';

interface Entry {
  size: number;
  /** Nanoseconds, as a decimal string (JSON has no bigint). */
  mtimeNs: string;
  crc: number;
}

const CACHE_VERSION = 1;

export class CrcCache {
  private entries: Map<string, Entry> | undefined;
  private loading: Promise<Map<string, Entry>> | undefined;
  /** Entries set before the file was read; merged over it. */
  private readonly fresh = new Map<string, Entry>();
  private keep: (() => Iterable<string>) | undefined;

  private readonly file: string | undefined;

  private constructor(file: string | undefined) {
    this.file = file;
  }

  /** The cache of one source tree (nothing is read yet). */
  static async open(cacheDir: string | undefined, sourceRoot: string): Promise<CrcCache> {
    if (!cacheDir) return new CrcCache(undefined);
    const name = createHash('sha256').update(sourceRoot).digest('hex').slice(0, 32);
    return new CrcCache(join(cacheDir, 'crc32c', `${name}.json`));
  }

  private load(): Promise<Map<string, Entry>> {
    this.loading ??= (async () => {
      let saved = new Map<string, Entry>();
      if (this.file) {
        try {
          const parsed = JSON.parse(await readFile(this.file, 'utf8')) as {
            version: number;
            entries: Record<string, Entry>;
          };
          if (parsed.version === CACHE_VERSION) saved = new Map(Object.entries(parsed.entries));
        } catch {
          // missing or unreadable: start empty
        }
      }
      for (const [rel, entry] of this.fresh) saved.set(rel, entry);
      this.entries = saved;
      return saved;
    })();
    return this.loading;
  }

  set(rel: string, size: number, mtimeMs: number, crc: number): void {
    const entry = { size, mtimeNs: mtimeKey(mtimeMs), crc };
    this.fresh.set(rel, entry);
    this.entries?.set(rel, entry);
  }

  /** The file's CRC32C, from the cache or by reading it (and then remembered). */
  async crcOf(rel: string, path: string, size: number, mtimeMs: number): Promise<number> {
    const entry = (await this.load()).get(rel);
    if (entry && entry.size === size && entry.mtimeNs === mtimeKey(mtimeMs)) return entry.crc;
    const crc = await crc32cOfFile(path);
    this.set(rel, size, mtimeMs, crc);
    return crc;
  }

  /** When saved, keep only these files' entries (files that left the tree are forgotten); asked only if saving. */
  retain(rels: () => Iterable<string>): void {
    this.keep = rels;
  }

  /** Writes the cache if anything new was learned. */
  async save(): Promise<void> {
    if (!this.file || this.fresh.size === 0) return;
    const entries = await this.load();
    if (this.keep) {
      const keep = new Set(this.keep());
      for (const rel of entries.keys()) if (!keep.has(rel)) entries.delete(rel);
    }
    await mkdir(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, JSON.stringify({ version: CACHE_VERSION, entries: Object.fromEntries(entries) }));
    await rename(tmp, this.file);
    this.fresh.clear();
  }
}
