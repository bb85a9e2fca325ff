/**
 * The per-job lock: whoever starts a job's next attempt (its detached
 * controller, or any process reconciling after the controller died) or
 * cancels it holds this, so two processes never act on the same ended
 * attempt at once. An `O_EXCL`-created file in the job folder naming its
 * holder's pid and start time; a lock whose holder is gone (killed, machine
 * rebooted) is taken over, as the local provider does for dead supervisors.
 */

import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StratoError } from '../errors.ts';
import { sleep } from '../internal/sleep.ts';
import { isProcessAlive, processStartTicks } from '../providers/local/proc.ts';

const LOCK_FILE = 'controller.lock';

interface Holder {
  pid: number;
  startTicks?: number;
}

export interface JobLock {
  release(): void;
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    // Missing (released meanwhile) or being written this very moment: not known to be stale.
    return undefined;
  }
}

const sameHolder = (a: Holder | undefined, b: Holder | undefined) =>
  a !== undefined && b !== undefined && a.pid === b.pid && a.startTicks === b.startTicks;

/** Takes the lock if it is free or its holder is dead; undefined when a live process holds it. */
export function tryLockJob(jobDir: string): JobLock | undefined {
  return tryLockFile(join(jobDir, LOCK_FILE));
}

/** The same kind of lock on any file: the job store's record lock is one (`store.update`). */
export function tryLockFile(path: string): JobLock | undefined {
  const startTicks = processStartTicks(process.pid);
  const me: Holder = { pid: process.pid, ...(startTicks !== undefined ? { startTicks } : {}) };
  for (let tries = 0; tries < 3; tries++) {
    try {
      writeFileSync(path, JSON.stringify(me), { flag: 'wx' });
      let released = false;
      return {
        release() {
          if (released) return;
          released = true;
          if (sameHolder(readHolder(path), me)) rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = readHolder(path);
    if (!holder || isProcessAlive(holder.pid, holder.startTicks)) return undefined;
    // Stale. Move it aside atomically (only one breaker wins the rename), then check that what
    // was moved is the dead holder's lock and not one a faster breaker has just taken.
    const aside = `${path}.stale-${process.pid}-${tries}`;
    try {
      renameSync(path, aside);
    } catch {
      continue;
    }
    const moved = readHolder(aside);
    rmSync(aside, { force: true });
    if (!sameHolder(moved, holder)) {
      // We took a live lock away from its new holder: give it back, and let it win.
      try {
        if (moved) writeFileSync(path, JSON.stringify(moved), { flag: 'wx' });
      } catch {
        // A third process has taken it meanwhile: it is held either way.
      }
      return undefined;
    }
  }
  return undefined;
}

/** Waits for the lock (polling), up to `timeoutMs`; E_CONFLICT when a live holder keeps it longer. */
export async function lockJob(jobDir: string, timeoutMs = 60_000): Promise<JobLock> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const lock = tryLockJob(jobDir);
    if (lock) return lock;
    if (Date.now() >= deadline) {
      throw new StratoError('E_CONFLICT', `another process holds the lock of ${jobDir} (${LOCK_FILE})`, {
        hint: 'a restart of the job is in progress; try again in a moment',
      });
    }
    await sleep(20);
  }
}
