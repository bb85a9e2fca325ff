import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratoError } from '../../../src/errors.ts';
import { type LockInfo, newLockInfo } from '../../../src/infra/lock-info.ts';
import { emptyState } from '../../../src/infra/state.ts';
import { openStateBackend } from '../../../src/infra/state-backend.ts';
import { openObjectStore } from '../../../src/storage/open.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/fake-gcs/index.ts';
import { stackFolder } from '../../support/infra.ts';

async function rejection(promise: Promise<unknown>): Promise<StratoError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StratoError);
  return error as StratoError;
}

/** A lock that looks like it was left by a process of this machine that is gone. */
function deadHolder(stack: string): LockInfo {
  return { ...newLockInfo(stack, 'deploy'), pid: 2 ** 22 + 12345 };
}

describe('file state', () => {
  const folder = stackFolder();
  afterAll(() => folder.remove());

  it('is written whole, 0600, under .strato/infra next to the definitions by default', async () => {
    const backend = await openStateBackend({ baseDir: folder.dir, stack: 's1' });
    expect(backend.where).toBe(join(folder.dir, '.strato', 'infra', 's1.state.json'));
    expect(await backend.read()).toBeUndefined();
    await backend.write({ ...emptyState('s1'), serial: 3 });
    expect((await backend.read())?.serial).toBe(3);
  });

  it('refuses a corrupt state and one from a newer version, and leaves them as they are', async () => {
    const backend = await openStateBackend({ baseDir: folder.dir, stack: 's2' });
    await backend.write(emptyState('s2'));
    writeFileSync(backend.where, '{"version": 1, "stack": "s2", "serial": ');
    const corrupt = await rejection(backend.read());
    expect(corrupt.code).toBe('E_CORRUPT');
    expect(corrupt.message).toContain('not valid JSON');
    const newer = JSON.stringify({ ...emptyState('s2'), version: 9 });
    writeFileSync(backend.where, newer);
    const refused = await rejection(backend.read());
    expect(refused.code).toBe('E_UNSUPPORTED');
    expect(refused.message).toContain('newer Strato');
    expect(readFileSync(backend.where, 'utf8')).toBe(newer);
    writeFileSync(backend.where, JSON.stringify({ ...emptyState('s2'), resources: [{ id: 'x' }] }));
    expect((await rejection(backend.read())).code).toBe('E_CORRUPT');
  });

  it('lets one holder lock at a time, names it, and lets force-unlock release it by id', async () => {
    const backend = await openStateBackend({ baseDir: folder.dir, stack: 's3' });
    const first = await backend.lock(newLockInfo('s3', 'deploy'));
    const refused = await rejection(backend.lock(newLockInfo('s3', 'destroy')));
    expect(refused.code).toBe('E_CONFLICT');
    expect(refused.message).toContain(`pid ${process.pid}`);
    expect(refused.message).toContain(first.info.id);
    expect(refused.hint).toContain(`strato infra force-unlock ${first.info.id}`);
    expect((await rejection(backend.forceUnlock('not-the-id'))).code).toBe('E_NOT_FOUND');
    expect((await backend.forceUnlock(first.info.id)).id).toBe(first.info.id);
    const second = await backend.lock(newLockInfo('s3', 'deploy'));
    await second.release();
    expect(await backend.holder()).toBeUndefined();
  });

  it('takes over a lock whose holder died on this machine', async () => {
    const backend = await openStateBackend({ baseDir: folder.dir, stack: 's4' });
    const dead = deadHolder('s4');
    writeFileSync(`${backend.where}.lock`, JSON.stringify(dead));
    const lock = await backend.lock(newLockInfo('s4', 'deploy'));
    expect(lock.tookOverFrom?.id).toBe(dead.id);
    expect((await backend.holder())?.id).toBe(lock.info.id);
    await lock.release();
  });
});

describe('gs:// state', () => {
  let gcs: FakeGcs;
  const options = () => ({ gcs: { apiEndpoint: gcs.endpoint } });
  beforeAll(async () => {
    gcs = await startFakeGcs({ buckets: ['team-state'] });
  });
  afterAll(() => gcs.close());

  it('reads back what it wrote, and refuses a damaged object', async () => {
    const backend = await openStateBackend({
      state: 'gs://team-state/infra/g1.json',
      baseDir: '.',
      stack: 'g1',
      storeOptions: options(),
    });
    expect(await backend.read()).toBeUndefined();
    await backend.write({ ...emptyState('g1'), serial: 5 });
    expect((await backend.read())?.serial).toBe(5);
    const { store } = await openObjectStore('gs://team-state/', options());
    await store.write('infra/g1.json', Buffer.from('not json'));
    expect((await rejection(backend.read())).code).toBe('E_CORRUPT');
  });

  it('locks with an object created only if absent (ifGenerationMatch=0): the second locker is refused, naming the first', async () => {
    const backend = await openStateBackend({
      state: 'gs://team-state/infra/g2.json',
      baseDir: '.',
      stack: 'g2',
      storeOptions: options(),
    });
    const other = await openStateBackend({
      state: 'gs://team-state/infra/g2.json',
      baseDir: '.',
      stack: 'g2',
      storeOptions: options(),
    });
    const [a, b] = await Promise.allSettled([
      backend.lock(newLockInfo('g2', 'deploy')),
      other.lock(newLockInfo('g2', 'deploy')),
    ]);
    const won = [a, b].filter((r) => r.status === 'fulfilled');
    const lost = [a, b].filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect((lost[0]!.reason as StratoError).code).toBe('E_CONFLICT');
    const holder = (won[0] as PromiseFulfilledResult<Awaited<ReturnType<typeof backend.lock>>>).value;
    expect((lost[0]!.reason as StratoError).message).toContain(holder.info.id);
    await holder.release();
    expect(await backend.holder()).toBeUndefined();
  });

  it("takes over a dead holder's lock at its generation, and force-unlock releases by id", async () => {
    const backend = await openStateBackend({
      state: 'gs://team-state/infra/g3.json',
      baseDir: '.',
      stack: 'g3',
      storeOptions: options(),
    });
    const dead = deadHolder('g3');
    const { store } = await openObjectStore('gs://team-state/', options());
    await store.write('infra/g3.json.lock', Buffer.from(JSON.stringify(dead)));
    const lock = await backend.lock(newLockInfo('g3', 'deploy'));
    expect(lock.tookOverFrom?.id).toBe(dead.id);
    expect((await backend.forceUnlock(lock.info.id)).id).toBe(lock.info.id);
    expect(await backend.holder()).toBeUndefined();
  });
});
