/**
 * The fake Vertex's REST face, as `gcloud ai custom-jobs` uses it (the
 * gcloud run itself is test/integration/vertex-gcloud.test.ts): proto3 JSON
 * (RFC 3339 times, 64-bit integers as strings) and Google's JSON error shape.
 */

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

let fake: FakeVertex;
let client: v1.JobServiceClient;
let finished: string;

beforeAll(async () => {
  fake = await startFakeVertex({ timing: FAST_TIMING });
  client = jobServiceClient(fake);
  const [job] = await client.createCustomJob({
    parent: PARENT,
    customJob: customJob([cpuPool(nodeCommand(''))], { displayName: 'finished-job', labels: { team: 'ml' } }),
  });
  finished = job.name!;
  await waitForState(client, finished, ['JOB_STATE_SUCCEEDED']);
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

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
});
