/**
 * rclone (Go, google.golang.org/api) as an independent client of the fake
 * Cloud Storage, and as a peer of `strato data push`: each recognises the
 * other's uploads as unchanged (same `mtime` metadata, same hashes).
 * Needs rclone (test/setup/ensure-tools.sh installs it; test/README.md).
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
requireTool('rclone');

let fake: FakeGcs;
let work: string;
let env: NodeJS.ProcessEnv;
const big = randomBytes(20 * 1024 * 1024 + 5);

beforeAll(async () => {
  fake = await startFakeGcs({ buckets: ['rclone-bucket'] });
  work = mkdtempSync(join(tmpdir(), 'strato-rclone-'));
  mkdirSync(join(work, 'src/nested'), { recursive: true });
  for (let i = 0; i < 30; i++)
    writeFileSync(join(work, 'src/nested', `f${i}.bin`), randomBytes(100 + i * 50));
  writeFileSync(join(work, 'src/big.bin'), big);
  env = { ...process.env, ...fakeGcsEnv(fake.endpoint), RCLONE_CONFIG: join(work, 'rclone.conf') };
});
afterAll(async () => {
  await fake?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

const rclone = (...args: string[]) => run('rclone', args, { env, maxBuffer: 16 * 1024 * 1024 });
const options = () => ({ gcs: { apiEndpoint: fake.endpoint }, cacheDir: join(work, 'cache') });

describe('rclone against the fake', () => {
  it(`copies a tree in, large file resumable (X-GUploader-No-308), and checks it`, async () => {
    await rclone('copy', join(work, 'src'), 'fakegcs:rclone-bucket/by-rclone', '--transfers', '8');
    const object = fake.state.getObject('rclone-bucket', 'by-rclone/big.bin');
    expect(object.crc32c).toBe(crc32cBase64(crc32c(big)));
    const { stdout } = await rclone('lsf', '-R', 'fakegcs:rclone-bucket/by-rclone');
    expect(stdout.split('\n').filter(Boolean)).toHaveLength(32);
    await rclone('check', join(work, 'src'), 'fakegcs:rclone-bucket/by-rclone');
  });

  it(`GIVEN rclone uploaded a tree THEN strato sees it unchanged`, async () => {
    const summary = await uploadDataset(join(work, 'src'), 'gs://rclone-bucket/by-rclone', options());
    expect(summary).toMatchObject({ files: 31, uploaded: 0, skipped: 31 });
  });

  it(`GIVEN strato pushed a tree THEN rclone checks it and copies nothing`, async () => {
    await uploadDataset(join(work, 'src'), 'gs://rclone-bucket/by-strato', {
      ...options(),
      gcs: { apiEndpoint: fake.endpoint, chunkSizeBytes: 4 * 1024 * 1024 },
    });
    await rclone('check', join(work, 'src'), 'fakegcs:rclone-bucket/by-strato');
    const { stderr } = await rclone('copy', join(work, 'src'), 'fakegcs:rclone-bucket/by-strato', '-v');
    expect(stderr).not.toMatch(/Copied/);
    await rclone('copyto', 'fakegcs:rclone-bucket/by-strato/big.bin', join(work, 'back.bin'));
    expect(readFileSync(join(work, 'back.bin')).equals(big)).toBe(true);
  });
});
