/**
 * A fake Cloud Storage with --data-dir keeps what the infra engine sets on a
 * bucket — labels, versioning, lifecycle, access settings and the IAM
 * policy — across a restart, after a clean stop (the index) and after a
 * kill (the journal: the data dir copied while the first server still runs
 * is what a `kill -9` leaves), read back with the real client library.
 */

import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

const MEMBER = 'serviceAccount:trainer@p.iam.gserviceaccount.com';
const dirs: string[] = [];
const fakes: FakeGcs[] = [];

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.close()));
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string): Promise<{ fake: FakeGcs; storage: Storage }> {
  const fake = await startFakeGcs({ dataDir });
  fakes.push(fake);
  return { fake, storage: new Storage({ apiEndpoint: fake.endpoint, projectId: 'p' }) };
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'strato-fake-gcs-settings-'));
  dirs.push(dir);
  return dir;
}

/** Makes a bucket and sets on it everything the infra engine manages. */
async function configure(storage: Storage): Promise<void> {
  const [bucket] = await storage.createBucket('settings-bucket', {
    location: 'US-CENTRAL1',
    labels: { 'strato-stack': 'data', team: 'ml' },
  });
  await bucket.setMetadata({
    versioning: { enabled: true },
    lifecycle: {
      rule: [{ action: { type: 'Delete' }, condition: { age: 14, matchesPrefix: ['checkpoints/'] } }],
    },
    iamConfiguration: { publicAccessPrevention: 'enforced', uniformBucketLevelAccess: { enabled: true } },
    labels: { team: 'research' },
  });
  const [policy] = await bucket.iam.getPolicy();
  await bucket.iam.setPolicy({
    ...policy,
    bindings: [...(policy.bindings ?? []), { role: 'roles/storage.objectUser', members: [MEMBER] }],
  });
}

async function expectConfigured(storage: Storage): Promise<void> {
  const bucket = storage.bucket('settings-bucket');
  const [metadata] = await bucket.getMetadata();
  expect(metadata).toMatchObject({
    location: 'US-CENTRAL1',
    labels: { 'strato-stack': 'data', team: 'research' },
    versioning: { enabled: true },
    lifecycle: {
      rule: [{ action: { type: 'Delete' }, condition: { age: 14, matchesPrefix: ['checkpoints/'] } }],
    },
    iamConfiguration: { publicAccessPrevention: 'enforced', uniformBucketLevelAccess: { enabled: true } },
  });
  const [policy] = await bucket.iam.getPolicy();
  expect(policy.bindings).toContainEqual({ role: 'roles/storage.objectUser', members: [MEMBER] });
}

describe('the fake Cloud Storage with a data dir', () => {
  it('keeps bucket settings and the IAM policy across a clean restart', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    await configure(first.storage);
    await expectConfigured(first.storage);
    await first.fake.close();

    const second = await start(dataDir);
    await expectConfigured(second.storage);
  });

  it('keeps them when the server was killed (the journal, not yet folded into the index)', async () => {
    const dataDir = tempDir();
    const first = await start(dataDir);
    await configure(first.storage);
    // What a kill -9 leaves on disk: the journal as written, no clean close.
    const killed = tempDir();
    cpSync(dataDir, killed, { recursive: true });

    const second = await start(killed);
    await expectConfigured(second.storage);
  });
});
