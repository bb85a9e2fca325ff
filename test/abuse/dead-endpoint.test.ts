/**
 * Finding 12 of the hardening issue: a push to an endpoint that died took
 * minutes to fail, because each of its 2,003 files ran all six of its
 * attempts. The store's calls now share one failure budget: once failures
 * run unbroken past its bounds, every call gives up and the push starts no
 * new file.
 *
 * GIVEN a push of 600 small files to the fake Cloud Storage
 * WHEN, after the first 40 requests, the service answers every request 503
 * THEN the push fails saying it gave up, having sent a bounded number of
 * requests into the outage — not the ~3,000 (560 files × 6 attempts) it
 * sent before, which is what took minutes at real retry delays.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadDataset } from '../../src/storage/sync/upload-dataset.ts';
import { type FakeGcs, startFakeGcs } from '../../src/testing/index.ts';

const FILES = 600;
let fake: FakeGcs;
let work: string;

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'strato-dead-endpoint-'));
  mkdirSync(join(work, 'src'));
  for (let i = 0; i < FILES; i++) writeFileSync(join(work, 'src', `shard-${i}.bin`), `shard ${i}\n`);
  fake = await startFakeGcs({ buckets: ['dead'] });
});

afterAll(async () => {
  await fake?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a push whose endpoint dies', () => {
  it('gives up after a bounded number of failed requests and starts no new file', async () => {
    fake.faults.add({ nth: 40, times: Number.MAX_SAFE_INTEGER, fault: { status: 503 } });
    const push = uploadDataset(join(work, 'src'), 'gs://dead/data', {
      gcs: {
        apiEndpoint: fake.endpoint,
        // Real delays and bounds scaled down to milliseconds; the policy's shape is what is tested.
        retry: { initialDelayMs: 2, maxDelayMs: 10 },
        failureBudget: { maxConsecutive: 24, minOutageMs: 100 },
      },
      cacheDir: join(work, 'cache'),
    });
    await expect(push).rejects.toThrow(/giving up: \d+ requests in a row failed/);
    const failedRequests = fake.faults.stats.injected;
    // The default concurrency's calls each see at most a few failures before the budget stops them all.
    expect(failedRequests).toBeGreaterThanOrEqual(24);
    expect(failedRequests).toBeLessThan(400);
    // Most files were never started: nothing was written for them.
    expect(fake.state.getBucket('dead').objects.size).toBeLessThan(40);
  });
});
