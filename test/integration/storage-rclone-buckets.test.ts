/**
 * rclone with exactly the environment `strato fake-cloud` prints (the
 * `fakegcs:` remote, with a project number): `rclone mkdir` creates a
 * bucket and `rclone lsd` lists buckets — both send the `project` the
 * service requires; a name the service refuses fails as it would there.
 * Needs rclone (test/setup/ensure-tools.sh installs it; test/README.md).
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { requireTool } from '../support/tools.ts';

requireTool('rclone');
const run = promisify(execFile);

let cloud: FakeCloud;
let work: string;

beforeAll(async () => {
  cloud = await startFakeCloud({ storage: { buckets: ['existing-bucket'] }, vertex: false, logging: false });
  work = mkdtempSync(join(tmpdir(), 'strato-rclone-buckets-'));
});

afterAll(async () => {
  await cloud.close();
  rmSync(work, { recursive: true, force: true });
});

const rclone = (...args: string[]) =>
  run('rclone', args, { env: { ...process.env, ...cloud.env, RCLONE_CONFIG: join(work, 'rclone.conf') } });

describe('rclone bucket commands against the fake cloud', () => {
  it('makes a bucket with `rclone mkdir` and lists buckets with `rclone lsd`', async () => {
    expect(cloud.env.RCLONE_CONFIG_FAKEGCS_PROJECT_NUMBER).toMatch(/^\d+$/);
    await rclone('mkdir', 'fakegcs:made-by-rclone');
    expect(cloud.storage!.state.buckets.has('made-by-rclone')).toBe(true);
    const { stdout } = await rclone('lsd', 'fakegcs:');
    const names = stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => line.trim().split(/\s+/).at(-1));
    expect(names).toEqual(['existing-bucket', 'made-by-rclone']);
  });

  it('fails `rclone mkdir` of a name the service refuses', async () => {
    await expect(rclone('mkdir', 'fakegcs:goog-bucket')).rejects.toMatchObject({
      stderr: expect.stringMatching(/Invalid bucket name/),
    });
    expect(cloud.storage!.state.buckets.has('goog-bucket')).toBe(false);
  });
});
