/**
 * `file://` object store. Writes go to a temporary file in the same folder and
 * are renamed into place, so readers never see a partial object.
 */

import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { crc32c } from '@node-rs/crc32';
import { StratoError } from '../errors.ts';
import { crc32cBase64 } from './checksum.ts';
import { formatMtime, MTIME_METADATA_KEY, parseMtime } from './mtime.ts';
import {
  type ByteRange,
  globUnsupported,
  type ListOptions,
  type ListPage,
  type ObjectInfo,
  type ObjectStore,
  type WriteOptions,
} from './types.ts';

/** Suffix of in-flight writes; listings skip them. */
const PARTIAL_SUFFIX = '.strato-partial';

export { crc32cBase64 };

const toPath = (key: string) => `/${key.replace(/^\/+/, '')}`;
const toKey = (path: string) => path.replace(/^\/+/, '').split(sep).join('/');

async function* walk(dir: string): AsyncGenerator<string> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (
      (error as NodeJS.ErrnoException).code === 'ENOENT' ||
      (error as NodeJS.ErrnoException).code === 'ENOTDIR'
    )
      return;
    throw error;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else if (entry.isFile() && !entry.name.endsWith(PARTIAL_SUFFIX)) yield path;
  }
}

export class FileObjectStore implements ObjectStore {
  readonly scheme = 'file' as const;
  readonly bucket = '';

  async list(options: ListOptions = {}): Promise<ListPage> {
    if (options.matchGlob) throw globUnsupported('file://');
    const prefix = options.prefix ?? '';
    // Walk from the deepest folder the prefix names, then filter by the full prefix.
    const base = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/') + 1) : '';
    const objects: ObjectInfo[] = [];
    const prefixes = new Set<string>();
    const max = options.maxResults ?? Number.POSITIVE_INFINITY;
    let nextPageToken: string | undefined;
    for await (const path of walk(toPath(base))) {
      const key = toKey(path);
      if (!key.startsWith(prefix)) continue;
      if (options.pageToken && key <= options.pageToken) continue;
      if (options.delimiter) {
        const cut = key.indexOf(options.delimiter, prefix.length);
        if (cut !== -1) {
          prefixes.add(key.slice(0, cut + options.delimiter.length));
          continue;
        }
      }
      if (objects.length >= max) {
        nextPageToken = objects.at(-1)?.key;
        break;
      }
      const info = await this.stat(key);
      if (info) objects.push(info);
    }
    return { objects, prefixes: [...prefixes].sort(), ...(nextPageToken ? { nextPageToken } : {}) };
  }

  async stat(key: string): Promise<ObjectInfo | undefined> {
    try {
      const s = await stat(toPath(key), { bigint: true });
      if (!s.isFile()) return undefined;
      return {
        key,
        size: Number(s.size),
        updated: s.mtime,
        generation: String(s.mtimeNs / 1000n),
        // The file's own mtime stands for the metadata the sync engine records on cloud objects.
        metadata: { [MTIME_METADATA_KEY]: formatMtime(s.mtimeNs) },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async read(key: string, range?: ByteRange): Promise<Buffer> {
    let handle: import('node:fs/promises').FileHandle;
    try {
      handle = await open(toPath(key), 'r');
    } catch (error) {
      throw notFoundOr(error, key);
    }
    try {
      const size = (await handle.stat()).size;
      const start = Math.min(range?.start ?? 0, size);
      const end = Math.min(range?.end ?? size, size);
      const buffer = Buffer.alloc(Math.max(0, end - start));
      let offset = 0;
      while (offset < buffer.length) {
        const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, start + offset);
        if (bytesRead === 0) break;
        offset += bytesRead;
      }
      return offset === buffer.length ? buffer : buffer.subarray(0, offset);
    } finally {
      await handle.close();
    }
  }

  async readStream(key: string, range?: ByteRange): Promise<Readable> {
    const info = await this.stat(key);
    if (!info) throw notFoundOr(Object.assign(new Error('ENOENT'), { code: 'ENOENT' }), key);
    const end = range?.end === undefined ? undefined : range.end - 1;
    if (end !== undefined && end < (range?.start ?? 0)) return Readable.from([]);
    return createReadStream(toPath(key), { start: range?.start ?? 0, ...(end !== undefined ? { end } : {}) });
  }

  async write(key: string, data: Buffer | Readable, options: WriteOptions = {}): Promise<ObjectInfo> {
    const path = toPath(key);
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.${randomBytes(4).toString('hex')}${PARTIAL_SUFFIX}`;
    let crc = 0;
    const md5 = createHash('md5');
    const hasher = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        crc = crc32c(chunk, crc);
        md5.update(chunk);
        callback(null, chunk);
      },
    });
    try {
      const source = Buffer.isBuffer(data) ? Readable.from([data]) : data;
      await pipeline(source, hasher, createWriteStream(partial));
      const actual = crc32cBase64(crc);
      if (options.crc32c && options.crc32c !== actual) {
        throw new StratoError(
          'E_CORRUPT',
          `CRC32C mismatch writing ${key}: expected ${options.crc32c}, got ${actual}`,
          {
            retryable: true,
          },
        );
      }
      // A file's own mtime is its metadata here (the sync engine compares it with the
      // source's); set before the rename, so the file never shows another one.
      const mtime = parseMtime(options.metadata?.[MTIME_METADATA_KEY]);
      if (mtime !== undefined) await utimes(partial, new Date(), Number(mtime) / 1e9);
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    const info = await this.stat(key);
    return { ...info!, crc32c: crc32cBase64(crc), md5: md5.digest('base64') };
  }

  async delete(key: string): Promise<void> {
    await rm(toPath(key), { force: true });
  }
}

function notFoundOr(error: unknown, key: string): unknown {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    return new StratoError('E_NOT_FOUND', `no object file:///${key}`, { cause: error });
  }
  return error;
}

/** Key of a local path in the file store. */
export function fileKey(path: string): string {
  return toKey(relative('/', path));
}
