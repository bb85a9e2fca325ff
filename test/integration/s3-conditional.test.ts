/**
 * Conditional writes on s3://, on moto's S3 (the real protocol): a write
 * with a generation precondition is `If-None-Match: *` or `If-Match: <ETag>`,
 * as on gs://, so two jobs claiming one s3:// run dir get one winner, a
 * data push never overwrites what changed since it looked, and a retried
 * write that had landed meets its own bytes. The `aws` CLI checks that a
 * refused multipart upload leaves no upload behind.
 */

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { claimRunDir, RUN_DIR_MARKER } from '../../src/jobs/run-dir-claim.ts';
import { S3ObjectStore } from '../../src/storage/s3/store.ts';
import { awsCli, type Moto, startMoto } from '../support/moto.ts';

const BUCKET = 'strato-conditional';
const MIB = 1024 * 1024;
let moto: Moto;
let store: S3ObjectStore;

beforeAll(async () => {
  moto = await startMoto();
  awsCli(moto, ['s3api', 'create-bucket', '--bucket', BUCKET]);
  store = new S3ObjectStore(BUCKET, { env: { ...process.env, ...moto.env }, partSizeBytes: 5 * MIB });
}, 120_000);
afterAll(async () => {
  await store?.close();
  await moto?.stop();
});

describe('conditional writes on s3://', () => {
  it("GIVEN '0' (only if absent) THEN a second writer is refused and the object stays; the same bytes again are the first write, landed", async () => {
    await store.write('only-once', Buffer.from('first'), { ifGenerationMatch: '0' });
    await expect(
      store.write('only-once', Buffer.from('second'), { ifGenerationMatch: '0' }),
    ).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: expect.stringContaining('changed while it was being uploaded'),
    });
    expect((await store.read('only-once')).toString()).toBe('first');
    await expect(
      store.write('only-once', Buffer.from('first'), { ifGenerationMatch: '0' }),
    ).resolves.toMatchObject({
      size: 5,
    });
  });

  it('GIVEN the ETag read THEN only a write over that generation lands', async () => {
    const v1 = await store.write('versioned', Buffer.from('v1'));
    const v2 = await store.write('versioned', Buffer.from('v2'), { ifGenerationMatch: v1.generation! });
    await expect(
      store.write('versioned', Buffer.from('v3'), { ifGenerationMatch: v1.generation! }),
    ).rejects.toMatchObject({ code: 'E_CONFLICT' });
    expect((await store.read('versioned')).toString()).toBe('v2');
    expect((await store.stat('versioned'))?.generation).toBe(v2.generation);
  });

  it("GIVEN a multipart upload over an object that exists, with '0' THEN refused, and no upload is left open", async () => {
    await store.write('big', Buffer.from('small one'));
    await expect(store.write('big', randomBytes(6 * MIB), { ifGenerationMatch: '0' })).rejects.toMatchObject({
      code: 'E_CONFLICT',
    });
    expect((await store.read('big')).toString()).toBe('small one');
    const open = awsCli(moto, ['s3api', 'list-multipart-uploads', '--bucket', BUCKET]) as {
      Uploads?: unknown[];
    };
    expect(open.Uploads ?? []).toEqual([]);
  });

  it('GIVEN a delete of a generation THEN a newer one is left alone, quietly; the current one goes', async () => {
    const old = await store.write('deleted', Buffer.from('old'));
    const current = await store.write('deleted', Buffer.from('new'));
    await store.delete('deleted', { ifGenerationMatch: old.generation! });
    expect((await store.read('deleted')).toString()).toBe('new');
    await store.delete('deleted', { ifGenerationMatch: current.generation! });
    expect(await store.stat('deleted')).toBeUndefined();
  });

  it('GIVEN two jobs claiming one s3:// run dir at once THEN exactly one wins', async () => {
    const runDir = `s3://${BUCKET}/runs/race`;
    const options = { s3: { env: { ...process.env, ...moto.env } } };
    const results = await Promise.allSettled([
      claimRunDir(runDir, { id: 'job-a', name: 'a' }, options),
      claimRunDir(runDir, { id: 'job-b', name: 'b' }, options),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason).toMatchObject({
      code: 'E_USAGE',
    });
    const marker = JSON.parse((await store.read(`runs/race/${RUN_DIR_MARKER}`)).toString()) as {
      jobId: string;
    };
    expect(['job-a', 'job-b']).toContain(marker.jobId);
  });
});
