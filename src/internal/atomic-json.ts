/**
 * Durable JSON files that readers in other processes never see half-written:
 * write a temp file beside the target, fsync it, rename over the target
 * (rename is atomic within a file system, POSIX rename(2)).
 */

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StratoError } from '../errors.ts';

let counter = 0;

export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.tmp-${process.pid}-${counter++}`;
  const fd = openSync(temp, 'w');
  try {
    writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
}

/** The parsed file, or undefined when it does not exist. Corrupt JSON is an E_CORRUPT error. */
export function findJson<T>(path: string): T | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StratoError('E_IO', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new StratoError('E_CORRUPT', `${path} is not valid JSON`, {
      cause: error,
      hint: 'the file was edited or damaged by hand; remove the job folder if it is no longer needed',
    });
  }
}
