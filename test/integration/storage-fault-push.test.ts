/**
 * The fault test: a 10,000-file push while the fake answers 5% of
 * requests with a 503, a reset before handling, or a reset after handling
 * (the write landed but its answer was lost). Every object must be there
 * once, with the right CRC32C, and nothing else.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../src/storage/checksum.ts';
import { uploadDataset } from '../../src/storage/sync/upload-dataset.ts';
import { type FakeGcs, startFakeGcs } from '../../src/testing/index.ts';

const FILES = 10_000;
const FOLDERS = 50;

let fake: FakeGcs;
let work: string;
const expected = new Map<string, string>();

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'strato-fault-push-'));
  for (let f = 0; f < FOLDERS; f++) mkdirSync(join(work, 'src', `part-${f}`), { recursive: true });
  for (let i = 0; i < FILES; i++) {
    const rel = `part-${i % FOLDERS}/shard-${i}.bin`;
    const data = randomBytes(512 + (i % 7) * 300);
    writeFileSync(join(work, 'src', rel), data);
    expected.set(`dataset/${rel}`, crc32cBase64(crc32c(data)));
  }
  fake = await startFakeGcs({
    buckets: ['fault-push'],
    faults: { random: { fraction: 0.05, seed: 20240501, faults: [{ status: 503 }, 'reset', 'reset-after'] } },
  });
});

afterAll(async () => {
  await fake?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('a 10,000-file push through 5% injected faults', () => {
  it('completes with every object present once and every CRC32C right', async () => {
    const summary = await uploadDataset(join(work, 'src'), 'gs://fault-push/dataset', {
      gcs: { apiEndpoint: fake.endpoint, retry: { initialDelayMs: 2, maxDelayMs: 50 } },
      cacheDir: join(work, 'cache'),
    });
    expect(summary).toMatchObject({ files: FILES, uploaded: FILES, skipped: 0 });

    const { byKind } = fake.faults.stats;
    expect(byKind['503']).toBeGreaterThan(100);
    expect(byKind.reset).toBeGreaterThan(100);
    expect(byKind['reset-after']).toBeGreaterThan(100);

    const objects = fake.state.getBucket('fault-push').objects;
    expect(objects.size).toBe(FILES);
    const wrong = [...expected].filter(([name, crc]) => objects.get(name)?.crc32c !== crc);
    expect(wrong).toEqual([]);
  });
});
