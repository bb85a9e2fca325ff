/** Replica log files: their last lines (for error reports) and following them as they grow. */

import { closeSync, openSync, readSync, statSync } from 'node:fs';

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

/** Reads a growing text file line by line from where it left off. */
export class LineFollower {
  private offset = 0;
  private partial = '';

  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** Complete lines written since the last call; with `flush`, the unfinished last line too. */
  readNew(flush = false): string[] {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return [];
    }
    if (size < this.offset) {
      // Truncated or replaced: start over.
      this.offset = 0;
      this.partial = '';
    }
    let text = this.partial;
    if (size > this.offset) {
      const fd = openSync(this.path, 'r');
      try {
        const buffer = Buffer.alloc(size - this.offset);
        const read = readSync(fd, buffer, 0, buffer.length, this.offset);
        this.offset += read;
        text += buffer.subarray(0, read).toString('utf8');
      } finally {
        closeSync(fd);
      }
    }
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    if (flush && this.partial !== '') {
      lines.push(this.partial);
      this.partial = '';
    }
    return lines;
  }
}
