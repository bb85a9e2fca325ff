/**
 * Where the fake keeps object bytes: in memory (tests) or in files under a
 * data dir (benchmarks with GiB-sized objects, `strato fake-cloud --data-dir`).
 * Object metadata always lives in memory; a blob is only bytes.
 */

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { createStagedFile, StagingSlots } from './staged-file.ts';

export type Blob =
  | { kind: 'memory'; size: number; data: Buffer }
  | { kind: 'disk'; size: number; path: string };

/** Bytes appended in order, then committed as one blob or abandoned. */
export interface BlobWriter {
  readonly size: number;
  /**
   * True when the writer keeps the very buffers it is given (in memory);
   * false when it has copied them by the time `append` resolves (to disk),
   * so the caller may hand them on.
   */
  readonly keepsBuffers: boolean;
  /** Takes `data`; a promise when the caller must wait before giving more (a write to finish). */
  append(data: Buffer): Promise<void> | undefined;
  commit(): Promise<Blob>;
  abort(): Promise<void>;
}

export interface BlobStore {
  fromBuffer(data: Buffer): Promise<Blob>;
  createWriter(): Promise<BlobWriter>;
  /** Bytes `start` to `end` (exclusive) as a stream. */
  open(blob: Blob, start: number, end: number): Readable;
  readAll(blob: Blob): Promise<Buffer>;
  release(blob: Blob): Promise<void>;
}

export function memoryBlobStore(): BlobStore {
  return {
    async fromBuffer(data) {
      return { kind: 'memory', size: data.length, data };
    },
    async createWriter() {
      const parts: Buffer[] = [];
      let size = 0;
      return {
        get size() {
          return size;
        },
        keepsBuffers: true,
        append(data) {
          parts.push(data);
          size += data.length;
          return undefined;
        },
        async commit() {
          return { kind: 'memory', size, data: parts.length === 1 ? parts[0]! : Buffer.concat(parts, size) };
        },
        async abort() {
          parts.length = 0;
        },
      };
    },
    open(blob, start, end) {
      if (blob.kind !== 'memory') throw new Error('memory blob store given a disk blob');
      return Readable.from([blob.data.subarray(start, end)]);
    },
    async readAll(blob) {
      if (blob.kind !== 'memory') throw new Error('memory blob store given a disk blob');
      return blob.data;
    },
    async release() {},
  };
}

/**
 * Blobs as files `<dir>/blobs/<random id>`. A writer copies what it is given
 * into staging slots written straight to the file (staged-file.ts), so
 * nothing large sits in memory.
 */
export function diskBlobStore(dir: string): BlobStore {
  const blobDir = join(dir, 'blobs');
  let ready: Promise<unknown> | undefined;
  const ensureDir = () => {
    ready ??= mkdir(blobDir, { recursive: true });
    return ready;
  };
  const newPath = () => join(blobDir, randomBytes(12).toString('hex'));
  const slots = new StagingSlots();
  return {
    async fromBuffer(data) {
      await ensureDir();
      const path = newPath();
      await writeFile(path, data);
      return { kind: 'disk', size: data.length, path };
    },
    async createWriter() {
      await ensureDir();
      const path = newPath();
      const file = await createStagedFile(path, slots);
      let size = 0;
      return {
        get size() {
          return size;
        },
        keepsBuffers: false,
        append(data) {
          size += data.length;
          return file.append(data);
        },
        async commit() {
          await file.finish();
          return { kind: 'disk', size, path };
        },
        async abort() {
          await file.close();
          await rm(path, { force: true });
        },
      };
    },
    open(blob, start, end) {
      if (blob.kind !== 'disk') throw new Error('disk blob store given a memory blob');
      if (end <= start) return Readable.from([]);
      return createReadStream(blob.path, { start, end: end - 1, highWaterMark: 1 << 20 });
    },
    async readAll(blob) {
      if (blob.kind !== 'disk') throw new Error('disk blob store given a memory blob');
      return readFile(blob.path);
    },
    async release(blob) {
      if (blob.kind === 'disk') await rm(blob.path, { force: true });
    },
  };
}
