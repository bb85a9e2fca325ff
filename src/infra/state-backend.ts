/**
 * Where a stack's state lives: a local JSON file (default
 * `<definitions>/.strato/infra/<stack>.state.json`) or an object in a
 * `gs://` bucket (`--state gs://bucket/path`, shared by a team). Both write
 * the state whole (temp file + rename; one object upload) and hold a lock
 * while a deploy or destroy runs.
 */

import { join, resolve } from 'node:path';
import type { StoreOptions } from '../storage/open.ts';
import type { LockInfo } from './lock-info.ts';
import type { StackState } from './state.ts';

export interface HeldLock {
  info: LockInfo;
  /** Set when the lock was taken over from a holder that had died on this machine. */
  tookOverFrom?: LockInfo;
  release(): Promise<void>;
}

export interface StateBackend {
  /** The path or URI, for messages. */
  readonly where: string;
  /** The state, or undefined when there is none yet; refuses a damaged one. */
  read(): Promise<StackState | undefined>;
  /** Replaces the state whole. */
  write(state: StackState): Promise<void>;
  /** Takes the lock, or throws E_CONFLICT naming the holder. */
  lock(info: LockInfo): Promise<HeldLock>;
  /** The current holder, if any. */
  holder(): Promise<LockInfo | undefined>;
  /** Releases the lock with this id (E_NOT_FOUND when the lock held is another or none). */
  forceUnlock(id: string): Promise<LockInfo>;
}

export interface StateLocation {
  /** `gs://bucket/path` or a file path; default the stack's file beside its definitions. */
  state?: string;
  /** The definitions' folder. */
  baseDir: string;
  /** A relative `state` path resolves against this (default: the process's cwd). */
  cwd?: string;
  stack: string;
  /** Endpoint options for a gs:// state. */
  storeOptions?: StoreOptions;
}

export function defaultStatePath(baseDir: string, stack: string): string {
  return join(baseDir, '.strato', 'infra', `${stack}.state.json`);
}

export async function openStateBackend(location: StateLocation): Promise<StateBackend> {
  if (location.state?.startsWith('gs://')) {
    const { GcsStateBackend } = await import('./state-gcs.ts');
    return GcsStateBackend.open(location.state, location.stack, location.storeOptions);
  }
  const { FileStateBackend } = await import('./state-file.ts');
  const path = location.state
    ? resolve(location.cwd ?? process.cwd(), location.state)
    : defaultStatePath(location.baseDir, location.stack);
  return new FileStateBackend(path, location.stack);
}
