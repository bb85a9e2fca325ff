/**
 * The fake's REST face, as `gcloud ai custom-jobs` uses it: list, describe
 * and cancel, with proto3 JSON (RFC 3339 times, 64-bit integers as strings).
 * The gcloud part skips where gcloud is not installed.
 */

import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { v1 } from '@google-cloud/aiplatform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVertex, startFakeVertex } from '../../../../src/testing/fake-vertex/index.ts';
import {
  cpuPool,
  customJob,
  FAST_TIMING,
  jobServiceClient,
  nodeCommand,
  PARENT,
  waitForState,
} from '../../../support/fake-vertex.ts';

const run = promisify(execFile);

function hasGcloud(): boolean {
  try {
    execFileSync('gcloud', ['--version'], { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}
const gcloudPresent = hasGcloud();

let fake: FakeVertex;
let client: v1.JobServiceClient;
let configDir: string;
let finished: string;
let running: string;

beforeAll(async () => {
  fake = await startFakeVertex({ timing: FAST_TIMING });
  client = jobServiceClient(fake);
  configDir = mkdtempSync(join(tmpdir(), 'strato-gcloud-'));
  const [a] = await client.createCustomJob({
    parent: PARENT,
    customJob: customJob([cpuPool(nodeCommand(''))], { displayName: 'finished-job', labels: { team: 'ml' } }),
  });
  const [b] = await client.createCustomJob({
    parent: PARENT,
    customJob: customJob([cpuPool(nodeCommand('setTimeout(() => {}, 60000)'))], {
      displayName: 'running-job',
    }),
  });
  finished = a.name!;
  running = b.name!;
  await waitForState(client, finished, ['JOB_STATE_SUCCEEDED']);
  await waitForState(client, running, ['JOB_STATE_RUNNING']);
});

afterAll(async () => {
  await client.close();
  await fake.close();
  rmSync(configDir, { recursive: true, force: true });
});

/** gcloud pointed at the fake: a throwaway config, no credentials, the REST endpoint overridden. */
async function gcloud(...args: string[]): Promise<string> {
  const { stdout } = await run('gcloud', [...args, '--format=json'], {
    timeout: 60_000,
    env: {
      ...process.env,
      CLOUDSDK_CONFIG: configDir,
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM: fake.restUrl,
      CLOUDSDK_CORE_PROJECT: 'my-project',
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    },
  });
  return stdout;
}

describe('fake Vertex REST face', () => {
  it('lists jobs as proto3 JSON', async () => {
    const response = await fetch(
      `${fake.restUrl}v1/${PARENT}/customJobs?filter=${encodeURIComponent('labels.team="ml"')}`,
    );
    expect(response.status).toBe(200);
    const body = (await response.json()) as { customJobs: Record<string, unknown>[] };
    expect(body.customJobs).toHaveLength(1);
    const [job] = body.customJobs;
    expect(job).toMatchObject({ name: finished, displayName: 'finished-job', state: 'JOB_STATE_SUCCEEDED' });
    expect(job!.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(
      (job!.jobSpec as { workerPoolSpecs: { replicaCount: unknown }[] }).workerPoolSpecs[0]!.replicaCount,
    ).toBe('1');
  });

  it('answers errors in the Google JSON error shape', async () => {
    const response = await fetch(`${fake.restUrl}v1/${PARENT}/customJobs/42`);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: 404, status: 'NOT_FOUND' } });
  });

  it.skipIf(!gcloudPresent)('serves `gcloud ai custom-jobs list` and `describe` (needs gcloud)', async () => {
    const listed = JSON.parse(await gcloud('ai', 'custom-jobs', 'list', '--region=us-central1')) as {
      name: string;
    }[];
    expect(listed.map((j) => j.name)).toEqual(expect.arrayContaining([finished, running]));
    const id = finished.split('/').at(-1)!;
    const described = JSON.parse(await gcloud('ai', 'custom-jobs', 'describe', id, '--region=us-central1'));
    expect(described).toMatchObject({ name: finished, state: 'JOB_STATE_SUCCEEDED', labels: { team: 'ml' } });
  });

  it.skipIf(!gcloudPresent)('serves `gcloud ai custom-jobs cancel` (needs gcloud)', async () => {
    await gcloud('ai', 'custom-jobs', 'cancel', running.split('/').at(-1)!, '--region=us-central1');
    expect((await waitForState(client, running, ['JOB_STATE_CANCELLED'])).job.state).toBe(
      'JOB_STATE_CANCELLED',
    );
  });
});
