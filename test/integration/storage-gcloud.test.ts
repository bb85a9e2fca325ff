/**
 * `gcloud storage` (Python, its own JSON API client) as an independent client
 * of the fake: endpoint override and disabled credentials in a throwaway
 * CLOUDSDK_CONFIG. It uploads with multipart bodies in LF line endings,
 * starts resumable sessions under /resumable/upload, downloads with hash
 * checks of its own. Needs gcloud (test/README.md says how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../src/storage/checksum.ts';
import { uploadDataset } from '../../src/storage/sync/upload-dataset.ts';
import { type FakeGcs, fakeGcsEnv, startFakeGcs } from '../../src/testing/index.ts';
import { requireTool } from '../support/tools.ts';

const run = promisify(execFile);
requireTool('gcloud');

let fake: FakeGcs;
let work: string;
let env: NodeJS.ProcessEnv;
// Over gcloud's resumable threshold (8 MiB), so it takes the resumable path.
const big = randomBytes(9 * 1024 * 1024 + 3);

beforeAll(async () => {
  fake = await startFakeGcs({ buckets: ['gcloud-bucket'] });
  work = mkdtempSync(join(tmpdir(), 'strato-gcloud-'));
  mkdirSync(join(work, 'config'));
  mkdirSync(join(work, 'src/dir'), { recursive: true });
  writeFileSync(join(work, 'src/dir/small.txt'), 'small text\n');
  writeFileSync(join(work, 'src/big.bin'), big);
  env = {
    ...process.env,
    ...fakeGcsEnv(fake.endpoint),
    CLOUDSDK_CONFIG: join(work, 'config'),
    CLOUDSDK_CORE_PROJECT: 'fake-project',
    CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    // Threads, not worker processes: each gcloud process start costs seconds on a small machine.
    CLOUDSDK_STORAGE_PROCESS_COUNT: '1',
    CLOUDSDK_STORAGE_THREAD_COUNT: '4',
  };
});
afterAll(async () => {
  await fake?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const gcloud = (...args: string[]) =>
  run('gcloud', ['storage', ...args], { env, timeout: 60_000, maxBuffer: 8 * 1024 * 1024 });

describe('gcloud storage against the fake', () => {
  it(`uploads (multipart and resumable) and downloads with its own hash checks`, async () => {
    await gcloud('cp', '-r', join(work, 'src/dir'), join(work, 'src/big.bin'), 'gs://gcloud-bucket/up/');
    expect(fake.state.getObject('gcloud-bucket', 'up/big.bin').crc32c).toBe(crc32cBase64(crc32c(big)));
    expect(fake.state.getObject('gcloud-bucket', 'up/dir/small.txt').size).toBe(11);
    await gcloud('cp', 'gs://gcloud-bucket/up/big.bin', join(work, 'back.bin'));
    expect(readFileSync(join(work, 'back.bin')).equals(big)).toBe(true);
  }, 120_000);

  it(`lists and downloads what strato pushed, checking the hashes`, async () => {
    await uploadDataset(join(work, 'src'), 'gs://gcloud-bucket/pushed', {
      gcs: { apiEndpoint: fake.endpoint },
      cacheDir: join(work, 'cache'),
    });
    mkdirSync(join(work, 'down'));
    await gcloud('cp', '-r', 'gs://gcloud-bucket/pushed', join(work, 'down'));
    expect(readFileSync(join(work, 'down/pushed/dir/small.txt'), 'utf8')).toBe('small text\n');
    expect(readFileSync(join(work, 'down/pushed/big.bin')).equals(big)).toBe(true);
  }, 120_000);
});
