/**
 * A stack's state in a local file, written atomically (0600), with a lock
 * file beside it created exclusively (O_EXCL): the second deploy finds it
 * and is refused, naming the first. A lock left by a process that died on
 * this machine is taken over (renamed aside, checked, replaced).
 */

import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { StratoError } from '../errors.ts';
import { writeJsonAtomic } from '../internal/atomic-json.ts';
import { holderIsDead, type LockInfo, lockedError, parseLockInfo } from './lock-info.ts';
import { parseState, type StackState } from './state.ts';
import type { HeldLock, StateBackend } from './state-backend.ts';

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StratoError('E_IO', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}

export class FileStateBackend implements StateBackend {
  readonly where: string;
  private readonly stack: string;
  private readonly lockPath: string;

  constructor(path: string, stack: string) {
    this.where = path;
    this.stack = stack;
    this.lockPath = `${path}.lock`;
  }

  async read(): Promise<StackState | undefined> {
    const text = readText(this.where);
    return text === undefined ? undefined : parseState(text, this.where, this.stack);
  }

  async write(state: StackState): Promise<void> {
    writeJsonAtomic(this.where, state);
  }

  async holder(): Promise<LockInfo | undefined> {
    const text = readText(this.lockPath);
    return text === undefined ? undefined : parseLockInfo(text);
  }

  private tryCreate(info: LockInfo): boolean {
    mkdirSync(dirname(this.lockPath), { recursive: true, mode: 0o700 });
    let fd: number;
    try {
      fd = openSync(this.lockPath, 'wx', 0o600);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    }
    try {
      writeSync(fd, `${JSON.stringify(info)}\n`);
    } finally {
      closeSync(fd);
    }
    return true;
  }

  async lock(info: LockInfo): Promise<HeldLock> {
    let tookOverFrom: LockInfo | undefined;
    if (!this.tryCreate(info)) {
      const holder = await this.holder();
      if (!holder || !holderIsDead(holder)) throw lockedError(this.lockPath, holder);
      // Renamed aside first: of two runs taking over at once, only one finds the dead holder's file.
      const aside = `${this.lockPath}.stale-${process.pid}`;
      try {
        renameSync(this.lockPath, aside);
      } catch {
        throw lockedError(this.lockPath, await this.holder());
      }
      const moved = parseLockInfo(readText(aside) ?? '');
      rmSync(aside, { force: true });
      if (moved?.id !== holder.id || !this.tryCreate(info))
        throw lockedError(this.lockPath, await this.holder());
      tookOverFrom = holder;
    }
    return {
      info,
      ...(tookOverFrom ? { tookOverFrom } : {}),
      release: async () => {
        const current = await this.holder();
        if (current?.id === info.id) rmSync(this.lockPath, { force: true });
      },
    };
  }

  async forceUnlock(id: string): Promise<LockInfo> {
    const current = await this.holder();
    if (!current || current.id !== id) {
      throw new StratoError('E_NOT_FOUND', `no lock ${id} on ${this.where}`, {
        hint: current
          ? `the lock held now is ${current.id} (${current.operation} by ${current.who})`
          : 'the stack is not locked',
      });
    }
    rmSync(this.lockPath, { force: true });
    return current;
  }
}
