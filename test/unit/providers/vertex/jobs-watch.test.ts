/**
 * A Strato job over its Vertex attempts, against the fake: a preempted Spot
 * job is resubmitted while restarts remain, a failed program is not; cancel
 * is quiet on ended or vanished jobs; watching many jobs costs one
 * ListCustomJobs per tick, not one GetCustomJob per job.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../../src/internal/sleep.ts';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import { createVertexApi, type VertexApi } from '../../../../src/providers/vertex/api.ts';
import {
  cancelVertexJob,
  refreshVertexJob,
  submitVertexJob,
  type VertexJobStatus,
} from '../../../../src/providers/vertex/jobs.ts';
import type { VertexJobRecord } from '../../../../src/providers/vertex/record.ts';
import { watchVertexJobs } from '../../../../src/providers/vertex/watch.ts';
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
    const status = await refreshVertexJob(api, record, new Date(), FAST_RETRY);
    if (done(status)) return status;
    await sleep(20);
  }
  throw new Error(`job ${record.jobId} never got there`);
}

/** Trains until SIGTERM, then exits 143 as TensorFlow's preemption handler does. */
const RUNS_UNTIL_SIGTERM = "process.on('SIGTERM', () => process.exit(143)); setTimeout(() => {}, 60000);";

describe('Vertex jobs over attempts', () => {
  it('resubmits a preempted Spot job as the next attempt while restarts remain', async () => {
    const record = await submit(
      'preempted',
      spec(RUNS_UNTIL_SIGTERM, { scheduling: { spot: true, maxRestarts: 2 } }),
    );
    expect(record.body.jobSpec.scheduling.strategy).toBe('SPOT');
    await until(record, (s) => s.state === 'running');
    const stale = structuredClone(record);
    await fake.preempt(record.attempts[0]!.customJob);

    const restarted = await until(record, (s) => s.attempt === 2);
    expect(restarted.detail).toMatch(/restarted as attempt 2 of 3 after: The job was preempted/);
    expect(record.attempts[0]).toMatchObject({
      state: 'JOB_STATE_FAILED',
      restartReason: expect.stringMatching(/preempted/),
    });
    const [second] = await api.list(`labels.strato-job-id="preempted" AND labels.strato-attempt="2"`);
    expect(second?.displayName).toBe('preempted-attempt-2');
    expect(second?.outputUriPrefix).toBe(record.runDir);

    // Another process holding the record from before the restart finds attempt 2, submits nothing.
    const creates = fake.faults.counts.calls.CreateCustomJob;
    const seenByOther = await refreshVertexJob(api, stale, new Date(), FAST_RETRY);
    expect(seenByOther.customJob).toBe(record.attempts[1]!.customJob);
    expect(fake.faults.counts.calls.CreateCustomJob).toBe(creates);

    await cancelVertexJob(api, record);
    const ended = await until(record, (s) => s.done);
    expect(ended.state).toBe('cancelled');
    expect(record.attempts).toHaveLength(2);
  });

  it('stops restarting when no restarts are left', async () => {
    const record = await submit(
      'no-restarts-left',
      spec(RUNS_UNTIL_SIGTERM, { scheduling: { spot: true, maxRestarts: 0 } }),
    );
    await until(record, (s) => s.state === 'running');
    await fake.preempt(record.attempts[0]!.customJob);
    const ended = await until(record, (s) => s.done);
    expect(ended).toMatchObject({ state: 'failed', attempt: 1 });
    expect(ended.error).toMatch(/preempted/);
  });

  it('does not restart a program that failed by itself', async () => {
    const record = await submit(
      'crashes',
      spec('process.exit(1)', { scheduling: { spot: true, maxRestarts: 3 } }),
    );
    const ended = await until(record, (s) => s.done);
    expect(ended).toMatchObject({ state: 'failed', attempt: 1 });
    expect(ended.error).toMatch(/workerpool0-0 exited with a non-zero status of 1/);
  });

  it('cancel is a quiet no-op on an ended job and on a deleted one', async () => {
    const record = await submit('ends-quickly', spec(''));
    await until(record, (s) => s.done);
    await expect(cancelVertexJob(api, record)).resolves.toBeUndefined();
    await api.delete(record.attempts[0]!.customJob);
    await expect(cancelVertexJob(api, record)).resolves.toBeUndefined();
  });

  it('watches many jobs with one ListCustomJobs per tick and no GetCustomJob', async () => {
    const records = await Promise.all(
      [0, 1, 2, 3].map((i) => submit(`watched-${i}`, spec(`setTimeout(() => {}, ${100 + i * 100})`))),
    );
    const calls = { ...fake.faults.counts.calls };
    let ticks = 0;
    const seen: string[] = [];
    const final = await watchVertexJobs(apiFor, records, {
      scale: 0.01,
      onStatus: (s) => {
        seen.push(`${s.jobId}:${s.state}`);
      },
      onTick: () => {
        ticks++;
      },
    });
    expect(final.map((s) => s.state)).toEqual(['succeeded', 'succeeded', 'succeeded', 'succeeded']);
    expect(seen).toContain('watched-3:succeeded');
    const lists = (fake.faults.counts.calls.ListCustomJobs ?? 0) - (calls.ListCustomJobs ?? 0);
    const gets = (fake.faults.counts.calls.GetCustomJob ?? 0) - (calls.GetCustomJob ?? 0);
    expect(lists).toBe(ticks);
    expect(gets).toBe(0);
  });
});
