/** Fault injection of the fake: chosen requests, seeded random ones, delays. */

import { afterEach, describe, expect, it } from 'vitest';
import { FaultInjector, mulberry32 } from '../../../src/testing/fake-gcs/faults.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

let fake: FakeGcs | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const bucketUrl = () => `${fake!.endpoint}/storage/v1/b/fault-bucket`;

describe('fault rules', () => {
  it('GIVEN a 503 on the 2nd GET of a path THEN only that request fails', async () => {
    fake = await startFakeGcs({
      buckets: ['fault-bucket'],
      faults: { rules: [{ method: 'GET', path: '/b/fault-bucket', nth: 2, fault: { status: 503 } }] },
    });
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await fetch(bucketUrl())).status);
    expect(statuses).toEqual([200, 503, 200]);
    expect(fake.faults.stats.byKind['503']).toBe(1);
  });

  it('GIVEN a reset THEN the connection drops before an answer', async () => {
    fake = await startFakeGcs({
      buckets: ['fault-bucket'],
      faults: { rules: [{ fault: 'reset', times: 1 }] },
    });
    await expect(fetch(bucketUrl())).rejects.toThrow();
    expect((await fetch(bucketUrl())).status).toBe(200);
  });

  it('GIVEN reset-after THEN the request takes effect but its answer is lost', async () => {
    fake = await startFakeGcs({
      buckets: ['fault-bucket'],
      faults: { rules: [{ method: 'POST', fault: 'reset-after', times: 1 }] },
    });
    await expect(
      fetch(`${fake.endpoint}/upload/storage/v1/b/fault-bucket/o?uploadType=media&name=landed`, {
        method: 'POST',
        body: 'x',
      }),
    ).rejects.toThrow();
    expect((await fetch(`${bucketUrl()}/o/landed`)).status).toBe(200);
  });

  it('GIVEN a delay THEN the answer comes after it', async () => {
    fake = await startFakeGcs({
      buckets: ['fault-bucket'],
      faults: { rules: [{ fault: { delayMs: 150 }, times: 1 }] },
    });
    const started = performance.now();
    expect((await fetch(bucketUrl())).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(140);
  });

  it('rules can be added while the fake runs', async () => {
    fake = await startFakeGcs({ buckets: ['fault-bucket'] });
    expect((await fetch(bucketUrl())).status).toBe(200);
    fake.faults.add({ fault: { status: 429 }, times: 1 });
    expect((await fetch(bucketUrl())).status).toBe(429);
    expect((await fetch(bucketUrl())).status).toBe(200);
  });
});

describe('random faults', () => {
  it('GIVEN a seed THEN the same requests fail on every run, at about the asked fraction', () => {
    const run = () => {
      const injector = new FaultInjector({ random: { fraction: 0.1, seed: 42 } });
      return Array.from({ length: 2000 }, () => injector.decide('GET', '/x').terminal !== undefined);
    };
    const a = run();
    expect(run()).toEqual(a);
    const share = a.filter(Boolean).length / a.length;
    expect(share).toBeGreaterThan(0.07);
    expect(share).toBeLessThan(0.13);
  });

  it('the PRNG is uniform enough over [0, 1)', () => {
    const next = mulberry32(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 10_000; i++) buckets[Math.floor(next() * 10)]++;
    for (const count of buckets) expect(Math.abs(count - 1000)).toBeLessThan(150);
  });
});
