/**
 * tpu-vm jobs end to end on the fake cloud: the real TPU client queues a
 * slice per attempt, test/support/machine-sim.ts plays its hosts once the
 * node is READY (worker 0 runs the program, the others idle), the job
 * lifecycle drives wait, restart and cancel. After every ending, queued
 * resources and nodes are listed with the real client: none of the job's is
 * left; after a cancel while the slice waits for capacity and after a
 * failure gcloud lists them too (test/README.md: needs gcloud).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTpuClient } from '../../src/infra/gcp/tpu-client.ts';
import { submit } from '../../src/jobs/submit.ts';
import { createTpuVmProvider } from '../../src/providers/tpu-vm/index.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { FAST_TPU_TIMING } from '../support/fake-tpu.ts';
import { gcloudMachinesOf } from '../support/gcloud-machines.ts';
import { replicaLines, tempDir, waitFor } from '../support/local.ts';
import { simulateTpuNodes } from '../support/machine-sim.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');

const PARENT = 'projects/my-project/locations/us-central2-b';
let fake: FakeCloud;
let stopHosts: () => Promise<void>;
const home = tempDir('strato-tpu-');
let jobs = 0;

beforeAll(async () => {
  fake = await startFakeCloud({
    storage: { buckets: [{ name: 'my-bucket' }] },
    tpu: { timing: FAST_TPU_TIMING },
    compute: false,
    vertex: false,
    logging: false,
  });
  stopHosts = simulateTpuNodes(fake.tpu!, [PARENT]);
});
afterAll(async () => {
  await stopHosts();
  await fake.close();
  home.remove();
});

function spec(script: string, type: string, overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name: 'tpu-it',
    strategy: 'tpu',
    container: { image: 'us-docker.pkg.dev/p/r/tpu:1', command: ['sh', '-c', script] },
    resources: {
      workers: {
        tpu: {
          type,
          runtimeVersion: type === 'v4-8' ? 'tpu-vm-tf-2.16.1-pjrt' : 'tpu-vm-tf-2.16.1-pod-pjrt',
        },
      },
    },
    output: `gs://my-bucket/runs/tpu-it-${++jobs}`,
    provider: { name: 'tpu-vm', project: 'my-project', zone: 'us-central2-b' },
    ...overrides,
  };
}

const run = (input: JobSpecInput) =>
  submit(input, {
    provider: createTpuVmProvider({ env: fake.env, pollScale: 0, startupScript: '#!/bin/sh\n' }),
    home: home.path,
    env: { ...process.env, ...fake.env },
  });

/** The job's queued resources and nodes, as the real client lists them. */
async function slicesOf(jobId: string): Promise<string[]> {
  const client = await createTpuClient({ env: fake.env });
  try {
    const [[queued], [nodes]] = await Promise.all([
      client.listQueuedResources({ parent: PARENT }),
      client.listNodes({ parent: PARENT }),
    ]);
    return [...queued, ...nodes].map((r) => r.name ?? '').filter((name) => name.includes(`strato-${jobId}-`));
  } finally {
    await client.close();
  }
}

/** The same, as gcloud lists them (1–2 s a look): for the endings no other test lists with gcloud. */
const gcloudSlicesOf = async (jobId: string) =>
  (await gcloudMachinesOf(fake, jobId, { project: 'my-project', zone: 'us-central2-b' })).map((s) => s.name);

describe('tpu-vm jobs on the fake cloud', () => {
  it('GIVEN a v4-32 pod THEN worker 0 runs the program with TPU_NAME = the node, 3 hosts idle, and nothing is left', async () => {
    const job = await run(spec('echo "TPU_NAME=$TPU_NAME TPU_LOAD_LIBRARY=$TPU_LOAD_LIBRARY"', 'v4-32'));
    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.replicas.map((r) => r.name)).toEqual([
      'tpu-host-0',
      'tpu-host-1',
      'tpu-host-2',
      'tpu-host-3',
    ]);
    // Hosts 1–3 only serve the TPU runtime: they ran nothing (the simulated hosts write no log; the real
    // startup script gives them one saying so, see tpu-vm-boot).
    expect(status.replicas.map((r) => r.state)).toEqual(['SUCCEEDED', 'IDLE', 'IDLE', 'IDLE']);
    expect(await replicaLines(job)).toEqual([`tpu-host-0: TPU_NAME=strato-${job.id}-1 TPU_LOAD_LIBRARY=`]);
    expect(await slicesOf(job.id)).toEqual([]);
  });

  it('GIVEN no capacity yet THEN status says the queued resource waits, in which zone, for what', async () => {
    fake.tpu!.faults.add({ capacity: [{ waitMs: 60_000, times: 1 }] });
    const job = await run(spec('true', 'v4-8', { scheduling: { spot: true, maxRestarts: 0 } }));
    let message = '';
    for (let i = 0; i < 100 && !/WAITING_FOR_RESOURCES/.test(message); i++) {
      message = (await job.status()).message ?? '';
      await new Promise((r) => setTimeout(r, 25));
    }
    expect(message).toMatch(
      /^queued resource WAITING_FOR_RESOURCES in us-central2-b for 0 min: no v4-8 spot capacity/,
    );
    expect((await job.cancel()).state).toBe('CANCELLED');
    expect(await gcloudSlicesOf(job.id)).toEqual([]);
  });

  it('GIVEN a spot slice preempted mid-job THEN attempt 2 gets a new slice and succeeds, and nothing is left', async () => {
    const job = await run(
      spec('case "$TPU_NAME" in *-1) sleep 60 ;; *) echo resumed ;; esac', 'v4-32', {
        scheduling: { spot: true, maxRestarts: 1 },
      }),
    );
    for (let i = 0; i < 200 && (await job.status()).state !== 'RUNNING'; i++)
      await new Promise((r) => setTimeout(r, 25));
    fake.tpu!.preempt(`${PARENT}/queuedResources/strato-${job.id}-1`);
    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(await slicesOf(job.id)).toEqual([]);
    // Two slices created and one deleted in between: several service operations, slower under load.
  }, 90_000);

  it("GIVEN the answer to attempt 2's create lost THEN the next look finds that queued resource (REST says 409) and the job succeeds on it", async () => {
    const job = await run(
      spec('case "$TPU_NAME" in *-1) sleep 60 ;; *) echo resumed ;; esac', 'v4-32', {
        scheduling: { spot: true, maxRestarts: 1 },
      }),
    );
    for (let i = 0; i < 200 && (await job.status()).state !== 'RUNNING'; i++)
      await new Promise((r) => setTimeout(r, 25));
    // The service creates attempt 2's queued resource, then the answer is lost: the restart is tried
    // again, its create is refused as taken, and the job goes on with the one that exists.
    fake.tpu!.faults.add({
      http: [{ method: 'POST', path: '/queuedResources?', status: 503, afterHandling: true, times: 1 }],
    });
    fake.tpu!.preempt(`${PARENT}/queuedResources/strato-${job.id}-1`);
    const status = await job.wait({ pollIntervalMs: 50, signal: AbortSignal.timeout(60_000) });
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(status.restarts).toHaveLength(1);
    expect(fake.tpu!.faults.httpFired()).toBe(1);
    await waitFor(async () => (await slicesOf(job.id)).length === 0, 'both queued resources deleted', 30_000);
  }, 90_000);

  it('GIVEN a stockout that fails the first queued resource THEN attempt 2 queues a new one, gets capacity and succeeds', async () => {
    // The fake's capacity rules take one queued resource each: the first never gets capacity and FAILS
    // (ZONE_RESOURCE_POOL_EXHAUSTED, as the service says it), the second waits a moment and is ACTIVE.
    fake.tpu!.faults.add({
      capacity: [
        { outcome: 'stockout', waitMs: 300, times: 1 },
        { waitMs: 300, times: 1 },
      ],
    });
    const job = await run(spec('echo trained', 'v4-8', { scheduling: { spot: true, maxRestarts: 1 } }));
    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(status.restarts).toHaveLength(1);
    expect(status.restarts[0]!.reason).toMatch(
      /strato-\S+-1 is FAILED \(There is no more capacity in the zone "us-central2-b" for v4-8/,
    );
    await waitFor(async () => (await slicesOf(job.id)).length === 0, 'both queued resources deleted', 30_000);
    expect(await gcloudSlicesOf(job.id)).toEqual([]);
  }, 90_000);

  it('GIVEN a failing program THEN FAILED with its last lines, not restarted, nothing left', async () => {
    const job = await run(spec('echo no TPU found >&2; exit 1', 'v4-8', { scheduling: { maxRestarts: 2 } }));
    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status).toMatchObject({
      state: 'FAILED',
      attempt: 1,
      error: { exitCode: 1, lastLines: ['no TPU found'] },
    });
    // The controller's deletes may still be in flight when this look returns: wait for them first.
    await waitFor(async () => (await slicesOf(job.id)).length === 0, 'the slice deleted', 30_000);
    expect(await gcloudSlicesOf(job.id)).toEqual([]);
  });
});
