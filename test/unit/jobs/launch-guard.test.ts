/**
 * The guarded launch's four endings, with a provider whose `abandon` counts
 * what it was asked to delete (the real machine providers' abandon runs in
 * gce-boot.test.ts, against the fake Compute, with a killed `strato run`).
 */

import { existsSync, rmSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { dropPreparedHandle, guardLaunch, keepPreparedHandle } from '../../../src/jobs/launch-guard.ts';
import { createJobStore, type JobRecord } from '../../../src/jobs/store.ts';
import type { JobHandle, Provider } from '../../../src/providers/types.ts';
import { tempDir } from '../../support/local.ts';

const home = tempDir('strato-launch-guard-');
afterAll(() => home.remove());
const store = createJobStore(home.path);

const handle = (id: string): JobHandle => ({ provider: 'gce', id, data: { jobId: id } });

/** A provider that only abandons, failing the first `failures` calls. */
function abandoning(failures = 0): { provider: Provider; abandoned: JobHandle[] } {
  const abandoned: JobHandle[] = [];
  let left = failures;
  const provider = {
    async abandon(h: JobHandle) {
      if (left-- > 0) throw new Error('the service did not answer');
      abandoned.push(h);
    },
  } as unknown as Provider;
  return { provider, abandoned };
}

function record(id: string, jobDir: string): JobRecord {
  const now = new Date().toISOString();
  return {
    version: 1,
    id,
    name: 'guarded',
    provider: 'gce',
    strategy: 'multi-worker-mirrored',
    state: 'QUEUED',
    runDir: 'gs://b/runs/guarded',
    jobDir,
    replicaCount: 2,
    createdAt: now,
    updatedAt: now,
    handle: handle(id),
  };
}

/** A submitter's pipe, closed by calling `close`. */
function pipe(): { gone: Promise<void>; close(): void } {
  let close!: () => void;
  const gone = new Promise<void>((resolve) => {
    close = resolve;
  });
  return { gone, close };
}

const fast = { pollMs: 10, secondSweepMs: 20, retryMs: 10 };

describe('a guarded launch', () => {
  it('GIVEN the record saved THEN launched, nothing abandoned, even when the submitter exits right after', async () => {
    const id = 'guarded-saved';
    const jobDir = store.createJobDir(id);
    keepPreparedHandle(jobDir, handle(id));
    const { provider, abandoned } = abandoning();
    const submitter = pipe();
    const guard = guardLaunch(jobDir, id, provider, store, { submitterGone: submitter.gone, ...fast });
    store.save(record(id, jobDir));
    dropPreparedHandle(jobDir);
    submitter.close();
    expect(await guard).toBe('launched');
    expect(abandoned).toEqual([]);
    expect(existsSync(jobDir)).toBe(true);
  });

  it('GIVEN the submitter gone before the record THEN what it prepared is abandoned twice and the folder removed', async () => {
    const id = 'guarded-killed';
    const jobDir = store.createJobDir(id);
    keepPreparedHandle(jobDir, handle(id));
    const { provider, abandoned } = abandoning(2);
    const submitter = pipe();
    const guard = guardLaunch(jobDir, id, provider, store, { submitterGone: submitter.gone, ...fast });
    submitter.close();
    expect(await guard).toBe('abandoned');
    // Two failed calls were retried; then the first sweep and the one for creates in flight.
    expect(abandoned).toEqual([handle(id), handle(id)]);
    expect(existsSync(jobDir)).toBe(false);
    expect(store.findJob(id)).toBeUndefined();
  });

  it('GIVEN the submitter gone before it prepared anything THEN nothing to abandon, the folder removed', async () => {
    const id = 'guarded-early';
    const jobDir = store.createJobDir(id);
    const { provider, abandoned } = abandoning();
    const submitter = pipe();
    submitter.close();
    expect(await guardLaunch(jobDir, id, provider, store, { submitterGone: submitter.gone, ...fast })).toBe(
      'abandoned',
    );
    expect(abandoned).toEqual([]);
    expect(existsSync(jobDir)).toBe(false);
  });

  it('GIVEN submit failed and removed the folder THEN withdrawn; GIVEN a stop THEN stopped', async () => {
    const id = 'guarded-failed';
    const jobDir = store.createJobDir(id);
    const { provider, abandoned } = abandoning();
    const guard = guardLaunch(jobDir, id, provider, store, { submitterGone: pipe().gone, ...fast });
    rmSync(jobDir, { recursive: true });
    expect(await guard).toBe('withdrawn');

    const stopped = store.createJobDir('guarded-stopped');
    const stop = new AbortController();
    const waiting = guardLaunch(stopped, 'guarded-stopped', provider, store, {
      submitterGone: pipe().gone,
      signal: stop.signal,
      ...fast,
    });
    stop.abort();
    expect(await waiting).toBe('stopped');
    expect(abandoned).toEqual([]);
  });
});
