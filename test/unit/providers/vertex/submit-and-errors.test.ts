/**
 * The provider's calls against the fake Vertex through the real client:
 * submit is idempotent (a lost create response never makes a second job),
 * transient errors are retried with backoff, permanent ones surface once,
 * translated, with the service's message and the likely fix.
 */

import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratoError } from '../../../../src/errors.ts';
import type { RetryPolicy } from '../../../../src/internal/retry.ts';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import { createVertexApi, type VertexApi } from '../../../../src/providers/vertex/api.ts';
import { renderCustomJob } from '../../../../src/providers/vertex/custom-job.ts';
import { submitCustomJob } from '../../../../src/providers/vertex/submit.ts';
import { parseJobSpec } from '../../../../src/spec/load.ts';
import { type FakeVertex, startFakeVertex } from '../../../../src/testing/fake-vertex/index.ts';
import { vertexSpec } from '../../../support/specs.ts';

const FAST_RETRY: RetryPolicy = { maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 20, random: () => 0.5 };

let fake: FakeVertex;
let api: VertexApi;

beforeAll(async () => {
  fake = await startFakeVertex({ timing: { queuedMs: 50, pendingMs: 50 } });
  api = await createVertexApi('my-project', 'us-central1', { ...fake.clientOptions(), retry: FAST_RETRY });
});

afterAll(async () => {
  await api.close();
  await fake.close();
});

function body(jobId: string) {
  const plan = planJob(
    parseJobSpec(
      vertexSpec({
        container: { image: 'us-docker.pkg.dev/p/r/t:1', command: [process.execPath, '-e', ''] },
        resources: { workers: { machineType: 'n1-standard-4' } },
      }),
    ),
  );
  return renderCustomJob(plan, { jobId });
}

async function jobsLabelled(jobId: string) {
  return api.list(`labels.strato-job-id="${jobId}"`);
}

describe('submitting to Vertex', () => {
  it('creates the job once when the create response is lost, finding it by its labels', async () => {
    fake.faults.add({ method: 'CreateCustomJob', fault: 'lose-response' });
    const creates = fake.faults.counts.calls.CreateCustomJob ?? 0;
    const job = await submitCustomJob(api, body('lost-once'), FAST_RETRY);
    expect(job.labels['strato-job-id']).toBe('lost-once');
    expect(await jobsLabelled('lost-once')).toHaveLength(1);
    expect(fake.faults.counts.calls.CreateCustomJob).toBe(creates + 1);
  });

  it('returns the existing job when the same attempt is submitted again', async () => {
    const first = await submitCustomJob(api, body('twice'), FAST_RETRY);
    const second = await submitCustomJob(api, body('twice'), FAST_RETRY);
    expect(second.name).toBe(first.name);
    expect(await jobsLabelled('twice')).toHaveLength(1);
  });

  it('retries a create refused as UNAVAILABLE and creates one job', async () => {
    fake.faults.add({ method: 'CreateCustomJob', times: 2, fault: { code: status.UNAVAILABLE } });
    await submitCustomJob(api, body('flaky-create'), FAST_RETRY);
    expect(await jobsLabelled('flaky-create')).toHaveLength(1);
  });

  it('retries reads on DEADLINE_EXCEEDED and RESOURCE_EXHAUSTED', async () => {
    const job = await submitCustomJob(api, body('flaky-read'), FAST_RETRY);
    fake.faults.add({ method: 'GetCustomJob', fault: { code: status.DEADLINE_EXCEEDED } });
    fake.faults.add({ method: 'GetCustomJob', fault: { code: status.RESOURCE_EXHAUSTED } });
    const before = fake.faults.counts.calls.GetCustomJob ?? 0;
    expect((await api.get(job.name)).name).toBe(job.name);
    expect(fake.faults.counts.calls.GetCustomJob).toBe(before + 3);
  });

  it('gives up after the last attempt with E_TRANSIENT', async () => {
    fake.faults.add({
      method: 'GetCustomJob',
      times: 10,
      fault: { code: status.UNAVAILABLE, message: 'down' },
    });
    const before = fake.faults.counts.calls.GetCustomJob ?? 0;
    await expect(api.get('projects/my-project/locations/us-central1/customJobs/1')).rejects.toMatchObject({
      code: 'E_TRANSIENT',
      retryable: true,
    });
    expect(fake.faults.counts.calls.GetCustomJob).toBe(before + FAST_RETRY.maxAttempts);
    fake.faults.clear();
  });

  it('surfaces INVALID_ARGUMENT once, with the service message', async () => {
    const bad = body('invalid');
    bad.jobSpec.workerPoolSpecs[0]!.replicaCount = 3;
    const before = fake.faults.counts.calls.CreateCustomJob ?? 0;
    const error = await submitCustomJob(api, bad, FAST_RETRY).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StratoError);
    expect(error).toMatchObject({ code: 'E_INVALID_REQUEST', retryable: false });
    expect((error as Error).message).toMatch(/The first worker pool must have exactly 1 replica, got 3/);
    expect(fake.faults.counts.calls.CreateCustomJob).toBe(before + 1);
  });

  it.each([
    [
      status.PERMISSION_DENIED,
      'Vertex AI API has not been used in project my-project before or it is disabled. (SERVICE_DISABLED)',
      'E_AUTH',
      /gcloud services enable aiplatform\.googleapis\.com --project my-project/,
    ],
    [
      status.PERMISSION_DENIED,
      "Permission 'aiplatform.customJobs.create' denied on resource",
      'E_AUTH',
      /roles\/aiplatform\.user/,
    ],
    [
      status.RESOURCE_EXHAUSTED,
      'Quota exceeded for aiplatform.googleapis.com/custom_model_training_cpus',
      'E_QUOTA',
      /iam-admin\/quotas\?project=my-project/,
    ],
    [
      status.UNAUTHENTICATED,
      'Request had invalid authentication credentials.',
      'E_AUTH',
      /application-default login/,
    ],
  ])('translates status %i at the edge (%s)', async (code, message, stratoCode, hint) => {
    fake.faults.add({ method: 'CreateCustomJob', times: 10, fault: { code, message } });
    const error = (await submitCustomJob(api, body(`denied-${code}`), FAST_RETRY).catch(
      (e: unknown) => e,
    )) as StratoError;
    fake.faults.clear();
    expect(error).toBeInstanceOf(StratoError);
    expect(error.code).toBe(stratoCode);
    expect(error.message).toContain(message);
    expect(error.hint).toMatch(hint);
  });
});
