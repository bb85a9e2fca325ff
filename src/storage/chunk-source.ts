/**
 * Where a resumable upload reads its bytes: a file (any offset, any time: an
 * interrupted upload restarts from what the service has, and a chunk streams
 * from disk in small pieces instead of sitting in memory) or a stream
 * (forward only; the current chunk is kept until the service confirms it).
 */

import { type FileHandle, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { StratoError } from '../errors.ts';

export interface ChunkSource {
  /** Size in bytes when known up front (files); undefined for streams. */
  readonly size: number | undefined;
  /**
   * Bytes from `offset`, at most `length`; fewer only at the end. Sources
   * without `pieces` only move forward: they may forget bytes before the
   * last offset they were asked for.
   */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * Sources readable at any offset: bytes `start` to `end` in pieces small
   * enough to stay in the CPU cache while they are checksummed and sent. A
   * piece stays valid until two more have been asked for (two buffers take
   * turns, so the next piece is read while this one is being sent).
   */
  pieces?(start: number, end: number): AsyncIterable<Buffer>;
  close(): Promise<void>;
}

/**
 * 256 KiB pieces: read, CRC32C and socket copy each touch the bytes while they
 * are still in cache; whole 16 MiB chunks made the checksum run at memory
 * speed (measured: 3.9 GB/s on a cached buffer, 0.6 GB/s on a fresh chunk).
 */
const PIECE_BYTES = 256 * 1024;

export function fileChunkSource(path: string, size: number): ChunkSource {
  let handle: Promise<FileHandle> | undefined;
  const opened = () => {
    handle ??= open(path, 'r');
    return handle;
  };
  const shrank = (at: number) =>
    new StratoError('E_IO', `${path} shrank to ${at} bytes while it was being uploaded`, {
      hint: 'upload it again once nothing is writing to it',
    });
  return {
    size,
    async *pieces(start, end) {
      const file = await opened();
      const length = Math.max(1, Math.min(PIECE_BYTES, end - start));
      const buffers = [Buffer.allocUnsafe(length), Buffer.allocUnsafe(length)];
      for (let offset = start, turn = 0; offset < end; turn ^= 1) {
        const piece = buffers[turn]!;
        const { bytesRead } = await file.read(piece, 0, Math.min(piece.length, end - offset), offset);
        if (bytesRead === 0) throw shrank(offset);
        offset += bytesRead;
        yield piece.subarray(0, bytesRead);
      }
    },
    async read(offset, length) {
      const file = await opened();
      const want = Math.max(0, Math.min(length, size - offset));
      const buffer = Buffer.allocUnsafe(want);
      let filled = 0;
      while (filled < want) {
        const { bytesRead } = await file.read(buffer, filled, want - filled, offset + filled);
        if (bytesRead === 0) throw shrank(offset + filled);
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
    async close() {
      const file = await handle?.catch(() => undefined);
      handle = undefined;
      await file?.close();
    },
  };
}

export function streamChunkSource(stream: Readable): ChunkSource {
  const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let pending: Buffer = Buffer.alloc(0);
  let pendingStart = 0;
  let ended = false;
  return {
    size: undefined,
    async read(offset, length) {
      if (offset < pendingStart)
        throw new Error(`stream source cannot go back to ${offset} (has ${pendingStart} on)`);
      pending = pending.subarray(Math.min(offset - pendingStart, pending.length));
      pendingStart = offset;
      const parts = [pending];
      let have = pending.length;
      while (have < length && !ended) {
        const next = await iterator.next();
        if (next.done) {
          ended = true;
          break;
        }
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
        parts.push(chunk);
        have += chunk.length;
      }
      pending = parts.length === 1 ? pending : Buffer.concat(parts, have);
      return pending.subarray(0, Math.min(length, pending.length));
    },
    async close() {
      if (!ended) await iterator.return?.();
      stream.destroy();
    },
  };
}
