/**
 * `gcloud ai custom-jobs` (Python, its own REST client) against the fake
 * Vertex's REST face: list, describe and cancel, with gcloud's own parsing of
 * proto3 JSON. Needs gcloud (test/README.md says how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { v1 } from '@google-cloud/aiplatform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVertex, startFakeVertex } from '../../src/testing/fake-vertex/index.ts';
import {
  cpuPool,
  customJob,
  FAST_TIMING,
  jobServiceClient,
  nodeCommand,
  PARENT,
  waitForState,
} from '../support/fake-vertex.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');
const run = promisify(execFile);

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

describe('gcloud ai custom-jobs against the fake Vertex', () => {
  it('serves `gcloud ai custom-jobs list` and `describe`', async () => {
    const listed = JSON.parse(await gcloud('ai', 'custom-jobs', 'list', '--region=us-central1')) as {
      name: string;
    }[];
    expect(listed.map((j) => j.name)).toEqual(expect.arrayContaining([finished, running]));
    const id = finished.split('/').at(-1)!;
    const described = JSON.parse(await gcloud('ai', 'custom-jobs', 'describe', id, '--region=us-central1'));
    expect(described).toMatchObject({ name: finished, state: 'JOB_STATE_SUCCEEDED', labels: { team: 'ml' } });
  });

  it('serves `gcloud ai custom-jobs cancel`', async () => {
    await gcloud('ai', 'custom-jobs', 'cancel', running.split('/').at(-1)!, '--region=us-central1');
    expect((await waitForState(client, running, ['JOB_STATE_CANCELLED'])).job.state).toBe(
      'JOB_STATE_CANCELLED',
    );
  });
});
