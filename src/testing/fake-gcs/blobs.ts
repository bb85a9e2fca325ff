/**
 * Where the fake keeps object bytes: in memory (tests) or in files under a
 * data dir (benchmarks with GiB-sized objects, `strato fake-cloud --data-dir`).
 * Object metadata always lives in memory; a blob is only bytes.
 */

import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { type FileHandle, mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';

export type Blob =
  | { kind: 'memory'; size: number; data: Buffer }
  | { kind: 'disk'; size: number; path: string };

/** Bytes appended in order, then committed as one blob or abandoned. */
export interface BlobWriter {
  readonly size: number;
  append(data: Buffer): Promise<void>;
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
        async append(data) {
          parts.push(data);
          size += data.length;
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

const WRITE_BATCH_BYTES = 4 * 1024 * 1024;

/** Blobs as files `<dir>/blobs/<random id>`; a writer appends to its file directly, so nothing large sits in memory. */
export function diskBlobStore(dir: string): BlobStore {
  const blobDir = join(dir, 'blobs');
  let ready: Promise<unknown> | undefined;
  const ensureDir = () => {
    ready ??= mkdir(blobDir, { recursive: true });
    return ready;
  };
  const newPath = () => join(blobDir, randomBytes(12).toString('hex'));
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
      const handle: FileHandle = await open(path, 'w');
      let size = 0;
      let closed = false;
      // Socket reads arrive in 64 KiB pieces; gathering a few MiB per write saves thousands of
      // syscalls per GiB. One write is in flight while the next batch gathers.
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      let writing: Promise<void> = Promise.resolve();
      const writeAll = async (buffers: Buffer[], bytes: number) => {
        const { bytesWritten } = await handle.writev(buffers);
        // A short write to a regular file is rare; finish it byte-exact.
        if (bytesWritten < bytes) await handle.write(Buffer.concat(buffers).subarray(bytesWritten));
      };
      const flush = async () => {
        await writing;
        if (pendingBytes === 0) return;
        writing = writeAll(pending, pendingBytes);
        writing.catch(() => {}); // reported by the next append or the commit, which await it
        pending = [];
        pendingBytes = 0;
      };
      const close = async () => {
        if (!closed) {
          closed = true;
          await writing.catch(() => {});
          await handle.close();
        }
      };
      return {
        get size() {
          return size;
        },
        async append(data) {
          pending.push(data);
          pendingBytes += data.length;
          size += data.length;
          if (pendingBytes >= WRITE_BATCH_BYTES) await flush();
        },
        async commit() {
          await flush();
          await writing;
          await close();
          return { kind: 'disk', size, path };
        },
        async abort() {
          pending = [];
          await close();
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
