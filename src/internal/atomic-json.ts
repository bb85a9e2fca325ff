/**
 * Durable JSON files that readers in other processes never see half-written:
 * write a temp file beside the target, fsync it, rename over the target
 * (rename is atomic within a file system, POSIX rename(2)).
 */

import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { StratoError } from '../errors.ts';

let counter = 0;

/**
 * Records may hold secrets (a spec's `container.env` is in `launch.json`):
 * files are created 0600 and folders 0700, readable by their owner only.
 */
export function writeJsonAtomic(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp-${process.pid}-${counter++}`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    try {
      writeSync(fd, `${JSON.stringify(value, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (error) {
    // A full disk or a failed rename must not leave a (0-byte) temp file behind.
    rmSync(temp, { force: true });
    throw error;
  }
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
