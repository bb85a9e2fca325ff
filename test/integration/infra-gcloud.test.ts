/**
 * gcloud as an independent client of what `strato infra` deployed on the
 * fake Cloud Storage: it sees the bucket's settings as deployed, a change
 * made with it shows as drift, and after destroy it lists nothing left.
 * Needs gcloud (test/README.md says how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployStack, destroyStack, type InfraOptions, planStack } from '../../src/infra/engine.ts';
import { type FakeGcs, fakeGcsEnv, startFakeGcs } from '../../src/testing/index.ts';
import { stackFolder } from '../support/infra.ts';
import { REPO_ROOT } from '../support/local.ts';
import { requireTool } from '../support/tools.ts';

const run = promisify(execFile);
requireTool('gcloud');

const BUCKET = 'my-project-data-bucket-data';

describe('the example bucket stack, checked with gcloud storage', () => {
  let gcs: FakeGcs;
  let env: NodeJS.ProcessEnv;
  let options: InfraOptions;
  const folder = stackFolder();

  beforeAll(async () => {
    gcs = await startFakeGcs();
    mkdirSync(join(folder.dir, 'config'));
    env = {
      ...process.env,
      ...fakeGcsEnv(gcs.endpoint),
      CLOUDSDK_CONFIG: join(folder.dir, 'config'),
      CLOUDSDK_CORE_PROJECT: 'my-project',
      CLOUDSDK_CORE_DISABLE_PROMPTS: '1',
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    };
    options = {
      file: 'infra/data-bucket.ts',
      cwd: REPO_ROOT,
      state: join(folder.dir, 'data-bucket.state.json'),
      endpoints: { storage: gcs.endpoint },
    };
  });
  afterAll(async () => {
    await gcs?.close();
    folder.remove();
  });

  const gcloud = async (...args: string[]) =>
    (await run('gcloud', ['storage', ...args], { env, timeout: 60_000 })).stdout;

  it('deploys, shows gcloud drift, and destroys to nothing', async () => {
    await deployStack(options);
    const described = JSON.parse(await gcloud('buckets', 'describe', `gs://${BUCKET}`, '--format=json'));
    expect(described).toMatchObject({
      location: 'US-CENTRAL1',
      public_access_prevention: 'enforced',
      uniform_bucket_level_access: true,
      labels: { 'strato-stack': 'data-bucket', team: 'ml' },
    });
    expect((await planStack(options)).plan.hasChanges).toBe(false);

    await gcloud('buckets', 'update', `gs://${BUCKET}`, '--no-versioning', '--clear-lifecycle');
    const { plan } = await planStack(options);
    expect(plan.drift).toEqual([
      {
        id: 'data',
        kind: 'gcs.bucket',
        type: 'changed',
        changes: [
          {
            path: 'lifecycle',
            from: [{ deleteAfterDays: 14, prefix: 'checkpoints/' }],
            to: [],
            forcesReplace: false,
          },
          { path: 'versioning', from: true, to: false, forcesReplace: false },
        ],
      },
    ]);
    expect(plan.actions.find((a) => a.id === 'data')?.action).toBe('update');

    await destroyStack(options);
    expect((await gcloud('buckets', 'list', '--format=value(name)')).trim()).toBe('');
    // One gcloud process per check (1–2 s each, several times that on a loaded machine).
  }, 120_000);
});
