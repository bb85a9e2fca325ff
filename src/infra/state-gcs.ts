/**
 * A stack's state as an object in Cloud Storage, for a team sharing a stack.
 * The lock is a second object created with `ifGenerationMatch=0`: the
 * service lets exactly one create win. A lock left by a process that died on
 * this machine is deleted at its generation (so a newer lock is never
 * touched) and created again.
 */

import { StratoError } from '../errors.ts';
import { openObjectStore, type StoreOptions } from '../storage/open.ts';
import type { ObjectStore } from '../storage/types.ts';
import { holderIsDead, type LockInfo, lockedError, parseLockInfo } from './lock-info.ts';
import { parseState, type StackState } from './state.ts';
import type { HeldLock, StateBackend } from './state-backend.ts';

export class GcsStateBackend implements StateBackend {
  readonly where: string;
  private readonly store: ObjectStore;
  private readonly key: string;
  private readonly stack: string;

  private constructor(uri: string, store: ObjectStore, key: string, stack: string) {
    this.where = uri;
    this.store = store;
    this.key = key;
    this.stack = stack;
  }

  static async open(uri: string, stack: string, options: StoreOptions = {}): Promise<GcsStateBackend> {
    const { store, key } = await openObjectStore(uri, options);
    if (key === '' || key.endsWith('/')) {
      throw new StratoError('E_USAGE', `--state ${uri} names a folder, not an object`, {
        hint: `name the object, e.g. ${uri.replace(/\/?$/, '/')}${stack}.state.json`,
      });
    }
    return new GcsStateBackend(uri, store, key, stack);
  }

  private get lockKey(): string {
    return `${this.key}.lock`;
  }

  private async readText(key: string): Promise<{ text: string; generation?: string } | undefined> {
    const info = await this.store.stat(key);
    if (!info) return undefined;
    try {
      const data = await this.store.read(key);
      return { text: data.toString('utf8'), ...(info.generation ? { generation: info.generation } : {}) };
    } catch (error) {
      if (error instanceof StratoError && error.code === 'E_NOT_FOUND') return undefined;
      throw error;
    }
  }

  async read(): Promise<StackState | undefined> {
    const found = await this.readText(this.key);
    return found === undefined ? undefined : parseState(found.text, this.where, this.stack);
  }

  async write(state: StackState): Promise<void> {
    await this.store.write(this.key, Buffer.from(`${JSON.stringify(state, null, 2)}\n`), {
      contentType: 'application/json',
    });
  }

  async holder(): Promise<LockInfo | undefined> {
    const found = await this.readText(this.lockKey);
    return found === undefined ? undefined : parseLockInfo(found.text);
  }

  private async tryCreate(info: LockInfo): Promise<boolean> {
    try {
      await this.store.write(this.lockKey, Buffer.from(JSON.stringify(info)), {
        contentType: 'application/json',
        ifGenerationMatch: '0',
      });
      return true;
    } catch (error) {
      if (error instanceof StratoError && error.code === 'E_CONFLICT') return false;
      throw error;
    }
  }

  async lock(info: LockInfo): Promise<HeldLock> {
    let tookOverFrom: LockInfo | undefined;
    if (!(await this.tryCreate(info))) {
      const found = await this.readText(this.lockKey);
      const holder = found && parseLockInfo(found.text);
      if (!holder || !holderIsDead(holder) || !found?.generation)
        throw lockedError(`${this.where}.lock`, holder);
      await this.store.delete(this.lockKey, { ifGenerationMatch: found.generation });
      if (!(await this.tryCreate(info))) throw lockedError(`${this.where}.lock`, await this.holder());
      tookOverFrom = holder;
    }
    return {
      info,
      ...(tookOverFrom ? { tookOverFrom } : {}),
      release: async () => {
        const found = await this.readText(this.lockKey);
        if (found?.generation && parseLockInfo(found.text)?.id === info.id) {
          await this.store.delete(this.lockKey, { ifGenerationMatch: found.generation });
        }
      },
    };
  }

  async forceUnlock(id: string): Promise<LockInfo> {
    const found = await this.readText(this.lockKey);
    const current = found && parseLockInfo(found.text);
    if (!current || current.id !== id || !found?.generation) {
      throw new StratoError('E_NOT_FOUND', `no lock ${id} on ${this.where}`, {
        hint: current
          ? `the lock held now is ${current.id} (${current.operation} by ${current.who})`
          : 'the stack is not locked',
      });
    }
    await this.store.delete(this.lockKey, { ifGenerationMatch: found.generation });
    return current;
  }
}
