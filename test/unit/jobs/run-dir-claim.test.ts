/**
 * Run dir ownership on gs://, through the fake Cloud Storage and the real
 * store: the marker is written only where none is (two submits racing for
 * one output get one winner), a refused claim writes nothing, and a failed
 * submit gives the run dir back as it found it.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimRunDir, RUN_DIR_MARKER } from '../../../src/jobs/run-dir-claim.ts';
import { openObjectStore } from '../../../src/storage/open.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

let fake: FakeGcs;
beforeAll(async () => {
  fake = await startFakeGcs({ buckets: [{ name: 'runs-bucket' }] });
});
afterAll(async () => {
  await fake.close();
});

const options = () => ({ gcs: { apiEndpoint: fake.endpoint } });

async function markerAt(runDir: string): Promise<{ jobId: string; continues?: string[] } | undefined> {
  const { store, key } = await openObjectStore(`${runDir}/${RUN_DIR_MARKER}`, options());
  try {
    return (await store.stat(key)) ? JSON.parse((await store.read(key)).toString()) : undefined;
  } finally {
    await store.close?.();
  }
}

describe('claimRunDir on gs://', () => {
  it('GIVEN two jobs claiming one run dir at once THEN exactly one wins; the other is told whose it is', async () => {
    const runDir = 'gs://runs-bucket/race';
    const results = await Promise.allSettled([
      claimRunDir(runDir, { id: 'job-a', name: 'a' }, options()),
      claimRunDir(runDir, { id: 'job-b', name: 'b' }, options()),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const loser = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(loser.reason).toMatchObject({ code: 'E_USAGE', exitCode: 2 });
    const winner = (await markerAt(runDir))!.jobId;
    expect(['job-a', 'job-b']).toContain(winner);
  });

  it('GIVEN event files and no marker THEN refused, and nothing is written', async () => {
    const runDir = 'gs://runs-bucket/unmarked';
    const { store, key } = await openObjectStore(`${runDir}/logs/train/events.out.tfevents.1`, options());
    await store.write(key, Buffer.from('x'));
    await store.close?.();
    await expect(claimRunDir(runDir, { id: 'job-c', name: 'c' }, options())).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringContaining('already holds logs/'),
    });
    expect(await markerAt(runDir)).toBeUndefined();
  });

  it('GIVEN the reply to the marker write is lost and the write retried THEN the job meets its own marker: claimed', async () => {
    // The marker is a small object: one multipart POST, only if absent (ifGenerationMatch=0).
    fake.faults.add({ method: 'POST', path: 'ifGenerationMatch=0', fault: 'reset-after', times: 1 });
    const injected = fake.faults.stats.injected;
    const runDir = 'gs://runs-bucket/lost-reply';
    await claimRunDir(runDir, { id: 'job-g', name: 'g' }, options());
    expect(fake.faults.stats.injected).toBe(injected + 1);
    expect(await markerAt(runDir)).toMatchObject({ jobId: 'job-g' });
  });

  it('WHEN a submit fails after claiming THEN release leaves the run dir as it was', async () => {
    const fresh = 'gs://runs-bucket/released';
    await (await claimRunDir(fresh, { id: 'job-d', name: 'd' }, options())).release();
    expect(await markerAt(fresh)).toBeUndefined();

    const owned = 'gs://runs-bucket/owned';
    await claimRunDir(owned, { id: 'job-e', name: 'e' }, options());
    const resumed = await claimRunDir(owned, { id: 'job-f', name: 'f' }, { ...options(), resume: 'job-e' });
    expect(await markerAt(owned)).toMatchObject({ jobId: 'job-f', continues: ['job-e'] });
    await resumed.release();
    expect(await markerAt(owned)).toMatchObject({ jobId: 'job-e' });
  });
});
