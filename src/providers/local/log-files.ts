/** Replica log files: their last lines (for error reports) and following them as they grow. */

import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

/** Bytes read from the end of a log to find its last lines. */
const TAIL_BYTES = 16 * 1024;

/** The last `count` non-empty lines of a file (empty when it does not exist). */
export function lastLines(path: string, count = 10): string[] {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return [];
  }
  try {
    const size = statSync(path).size;
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    readSync(fd, buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n');
    // A cut first line is partial; drop it unless the file was read whole.
    if (start > 0) lines.shift();
    return lines.filter((line) => line.trim() !== '').slice(-count);
  } finally {
    closeSync(fd);
  }
}

/** Read per step: what one log costs in memory, however large it grew (a 600 MB log used to be read whole). */
const CHUNK_BYTES = 1024 * 1024;
/** A "line" longer than this (a binary dump, a log without newlines) is handed out in pieces of this size. */
const MAX_LINE_CHARS = 1024 * 1024;

/** Reads a growing text file line by line from where it left off, a chunk at a time. */
export class LineFollower {
  private offset = 0;
  private partial = '';
  private decoder = new StringDecoder('utf8');

  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /**
   * Complete lines written since the last call; with `flush`, the unfinished
   * last line too. Lazy: a chunk is read only when the lines before it have
   * been taken, so memory stays at one chunk whatever the file's size.
   */
  *readNew(flush = false): Generator<string> {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return;
    }
    if (size < this.offset) {
      // Truncated or replaced: start over.
      this.offset = 0;
      this.partial = '';
      this.decoder = new StringDecoder('utf8');
    }
    if (size > this.offset) {
      const fd = openSync(this.path, 'r');
      try {
        const buffer = Buffer.alloc(Math.min(CHUNK_BYTES, size - this.offset));
        while (this.offset < size) {
          const read = readSync(fd, buffer, 0, Math.min(buffer.length, size - this.offset), this.offset);
          if (read === 0) break;
          this.offset += read;
          // The decoder keeps a character cut at the chunk's end for the next chunk.
          const lines = (this.partial + this.decoder.write(buffer.subarray(0, read))).split('\n');
          this.partial = lines.pop() ?? '';
          yield* lines;
          while (this.partial.length > MAX_LINE_CHARS) {
            yield this.partial.slice(0, MAX_LINE_CHARS);
            this.partial = this.partial.slice(MAX_LINE_CHARS);
          }
        }
      } finally {
        closeSync(fd);
      }
    }
    if (flush) {
      const rest = this.partial + this.decoder.end();
      this.decoder = new StringDecoder('utf8');
      this.partial = '';
      if (rest !== '') yield rest;
    }
  }
}
