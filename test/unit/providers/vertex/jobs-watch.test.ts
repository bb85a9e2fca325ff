/**
 * A Strato job over its Vertex attempts, against the fake: reading a job
 * never writes (a preempted attempt is reported with the facts, not
 * resubmitted); a later attempt, when asked for, is submitted once however
 * many processes ask; cancel is quiet on ended or vanished jobs; reading
 * many jobs costs one ListCustomJobs, not one GetCustomJob per job.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../../src/internal/sleep.ts';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import { createVertexApi, type VertexApi } from '../../../../src/providers/vertex/api.ts';
import {
  cancelVertexJob,
  refreshVertexJob,
  startVertexAttempt,
  submitVertexJob,
  type VertexJobStatus,
} from '../../../../src/providers/vertex/jobs.ts';
import type { VertexJobRecord } from '../../../../src/providers/vertex/record.ts';
import { pollVertexJobs } from '../../../../src/providers/vertex/watch.ts';
import { parseJobSpec } from '../../../../src/spec/load.ts';
import type { JobSpecInput } from '../../../../src/spec/schema.ts';
import { type FakeVertex, startFakeVertex } from '../../../../src/testing/fake-vertex/index.ts';
import { vertexSpec } from '../../../support/specs.ts';

const FAST_RETRY = { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10 };

let fake: FakeVertex;
let api: VertexApi;
const apiFor = async () => api;

beforeAll(async () => {
  fake = await startFakeVertex({
    timing: { queuedMs: 30, pendingMs: 30, stopGraceMs: 500 },
  });
  api = await createVertexApi('my-project', 'us-central1', { ...fake.clientOptions(), retry: FAST_RETRY });
});

afterAll(async () => {
  await api.close();
  await fake.close();
});

function spec(script: string, overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return vertexSpec({
    container: { image: 'us-docker.pkg.dev/p/r/t:1', command: [process.execPath, '-e', script] },
    resources: { workers: { machineType: 'n1-standard-4' } },
    ...overrides,
  });
}

async function submit(jobId: string, input: JobSpecInput): Promise<VertexJobRecord> {
  return submitVertexJob(api, planJob(parseJobSpec(input)), { jobId, retry: FAST_RETRY });
}

async function until(
  record: VertexJobRecord,
  done: (s: VertexJobStatus) => boolean,
): Promise<VertexJobStatus> {
  for (let i = 0; i < 500; i++) {
    const status = await refreshVertexJob(api, record, new Date());
    if (done(status)) return status;
    await sleep(20);
  }
  throw new Error(`job ${record.jobId} never got there`);
}

/** Trains until SIGTERM, then exits 143 as TensorFlow's preemption handler does. */
const RUNS_UNTIL_SIGTERM = "process.on('SIGTERM', () => process.exit(143)); setTimeout(() => {}, 60000);";

describe('Vertex jobs over attempts', () => {
  it('reports a preempted attempt as facts and does not resubmit it by reading', async () => {
    const record = await submit(
      'preempted',
      spec(RUNS_UNTIL_SIGTERM, { scheduling: { spot: true, maxRestarts: 2 } }),
    );
    expect(record.body.jobSpec.scheduling.strategy).toBe('SPOT');
    await until(record, (s) => s.state === 'running');
    await fake.preempt(record.attempts[0]!.customJob);
    const creates = fake.faults.counts.calls.CreateCustomJob;

    const ended = await until(record, (s) => s.done);
    expect(ended).toMatchObject({ state: 'failed', attempt: 1 });
    expect(ended.outcome).toEqual({
      kind: 'failed',
      preempted: true,
      cause: expect.stringMatching(/The job was preempted/),
    });
    // Reading again and again submits nothing: the decision to restart is the lifecycle's.
    for (let i = 0; i < 3; i++) await refreshVertexJob(api, record);
    expect(fake.faults.counts.calls.CreateCustomJob).toBe(creates);
    expect(record.attempts).toHaveLength(1);
  });

  it('starts attempt 2 once, however many times (and from however stale a record) it is asked', async () => {
    const record = await submit(
      'restarted',
      spec(RUNS_UNTIL_SIGTERM, { scheduling: { spot: true, maxRestarts: 2 } }),
    );
    await until(record, (s) => s.state === 'running');
    await fake.preempt(record.attempts[0]!.customJob);
    await until(record, (s) => s.done);
    const creates = fake.faults.counts.calls.CreateCustomJob ?? 0;

    const a = await startVertexAttempt(
      api,
      record,
      2,
      'preempted (a preemption); restarting as attempt 2 of 3',
      {
        retry: FAST_RETRY,
      },
    );
    // Another process, holding the record from before attempt 2, finds it by its labels.
    // (Two processes at the very same moment are kept apart by the lifecycle's per-job lock.)
    const b = await startVertexAttempt(api, structuredClone(record), 2, 'seen by another process', {
      retry: FAST_RETRY,
    });
    expect(a.attempts[1]!.customJob).toBe(b.attempts[1]!.customJob);
    expect(fake.faults.counts.calls.CreateCustomJob).toBe(creates + 1);
    const [second, ...more] = await api.list(
      `labels.strato-job-id="restarted" AND labels.strato-attempt="2"`,
    );
    expect(more).toEqual([]);
    expect(second?.displayName).toBe('restarted-attempt-2');
    expect(second?.outputUriPrefix).toBe(record.runDir);
    expect(a.attempts[0]!.restartReason).toMatch(/restarting as attempt 2 of 3/);
    // The record the caller passed is not changed; the returned one carries the attempt.
    expect(record.attempts).toHaveLength(1);
    // A record that already has attempt 2 submits nothing.
    const again = await startVertexAttempt(api, a, 2, 'again', { retry: FAST_RETRY });
    expect(again).toBe(a);

    await cancelVertexJob(api, a);
    const cancelled = await until(a, (s) => s.done);
    expect(cancelled).toMatchObject({ state: 'cancelled', attempt: 2 });
    expect(cancelled.outcome).toBeUndefined();
  });

  it('reports a program that failed by itself as not preempted', async () => {
    const record = await submit(
      'crashes',
      spec('process.exit(1)', { scheduling: { spot: true, maxRestarts: 3 } }),
    );
    const ended = await until(record, (s) => s.done);
    expect(ended).toMatchObject({ state: 'failed', attempt: 1 });
    expect(ended.error).toMatch(/workerpool0-0 exited with a non-zero status of 1/);
    expect(ended.outcome).toMatchObject({ kind: 'failed', preempted: false, replica: 'workerpool0-0' });
  });

  it('cancel is a quiet no-op on an ended job and on a deleted one', async () => {
    const record = await submit('ends-quickly', spec(''));
    const ended = await until(record, (s) => s.done);
    expect(ended.outcome).toEqual({ kind: 'succeeded' });
    await expect(cancelVertexJob(api, record)).resolves.toBeUndefined();
    await api.delete(record.attempts[0]!.customJob);
    await expect(cancelVertexJob(api, record)).resolves.toBeUndefined();
  });

  it('reads many jobs with one ListCustomJobs and no GetCustomJob', async () => {
    const records = await Promise.all(
      [0, 1, 2, 3].map((i) => submit(`watched-${i}`, spec(`setTimeout(() => {}, ${100 + i * 100})`))),
    );
    const calls = { ...fake.faults.counts.calls };
    let reads = 0;
    let final: VertexJobStatus[] = [];
    for (let i = 0; i < 500 && (final.length === 0 || !final.every((s) => s.done)); i++) {
      final = await pollVertexJobs(apiFor, records);
      reads++;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(final.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    const lists = (fake.faults.counts.calls.ListCustomJobs ?? 0) - (calls.ListCustomJobs ?? 0);
    const gets = (fake.faults.counts.calls.GetCustomJob ?? 0) - (calls.GetCustomJob ?? 0);
    expect(lists).toBe(reads);
    expect(gets).toBe(0);
  });
});
