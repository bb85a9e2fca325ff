/**
 * Fault injection in the fake Vertex, seen through the real client: an error
 * on the Nth call, a create whose response is lost, a preempted job, a TPU
 * stockout; and nothing left running after `close()`.
 */

import type { v1 } from '@google-cloud/aiplatform';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../../src/internal/sleep.ts';
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

beforeAll(async () => {
  fake = await startFakeVertex({ timing: FAST_TIMING });
  client = jobServiceClient(fake);
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

const SLEEP = nodeCommand('setTimeout(() => {}, 60000)');
/** Saves nothing but says so on SIGTERM and exits 143, as TF's preemption handler does. */
const TRAP_SIGTERM = nodeCommand(
  'process.on("SIGTERM", () => { console.log("checkpoint saved on SIGTERM"); process.exit(143); }); console.log("ready"); setTimeout(() => {}, 60000);',
);

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('fake Vertex faults', () => {
  it('fails the Nth call of a method with the chosen status, once', async () => {
    const [job] = await client.createCustomJob({ parent: PARENT, customJob: customJob([cpuPool(SLEEP)]) });
    fake.faults.add({
      method: 'GetCustomJob',
      nth: 2,
      fault: { code: status.UNAVAILABLE, message: 'try later' },
    });
    await expect(client.getCustomJob({ name: job.name })).resolves.toBeDefined();
    await expect(client.getCustomJob({ name: job.name })).rejects.toMatchObject({
      code: 14,
      details: 'try later',
    });
    await expect(client.getCustomJob({ name: job.name })).resolves.toBeDefined();
    await client.cancelCustomJob({ name: job.name });
  });

  it('loses the response of a create that did create the job', async () => {
    fake.faults.add({ method: 'CreateCustomJob', fault: 'lose-response' });
    const labels = { 'strato-job-id': 'lost-response' };
    await expect(
      client.createCustomJob({
        parent: PARENT,
        customJob: customJob([cpuPool(nodeCommand(''))], { labels }),
      }),
    ).rejects.toMatchObject({ code: 14 });
    const [jobs] = await client.listCustomJobs({
      parent: PARENT,
      filter: 'labels.strato-job-id="lost-response"',
    });
    expect(jobs).toHaveLength(1);
  });

  it('preempts a running job: replicas get SIGTERM, the job fails as preempted (UNAVAILABLE)', async () => {
    const [job] = await client.createCustomJob({
      parent: PARENT,
      customJob: customJob([cpuPool(TRAP_SIGTERM), cpuPool(TRAP_SIGTERM, 2)]),
    });
    await waitForState(client, job.name!, ['JOB_STATE_RUNNING']);
    // Wait until every replica has installed its SIGTERM handler.
    const run = fake.runOf(job.name!)!;
    for (let i = 0; i < 500 && !run.replicas.every((r) => run.logOf(r.name).includes('ready')); i++) {
      await sleep(20);
    }
    await fake.preempt(job.name!);
    const [ended] = await client.getCustomJob({ name: job.name });
    expect(ended.state).toBe('JOB_STATE_FAILED');
    expect(ended.error).toMatchObject({ code: 14, message: expect.stringMatching(/preempted/) });
    expect(fake.runOf(job.name!)!.logOf('workerpool1-1')).toContain('checkpoint saved on SIGTERM');
  });

  it('stocks out TPUs: a TPU job fails in provisioning with RESOURCE_EXHAUSTED, a CPU job runs', async () => {
    const remove = fake.faults.stockout({ times: 1 });
    const tpu = {
      machineSpec: { machineType: 'ct5lp-hightpu-1t', tpuTopology: '1x1' },
      replicaCount: 1,
      containerSpec: { imageUri: 'tpu', command: nodeCommand('') },
    };
    const [cpuJob] = await client.createCustomJob({
      parent: PARENT,
      customJob: customJob([cpuPool(nodeCommand(''))]),
    });
    const [tpuJob] = await client.createCustomJob({ parent: PARENT, customJob: customJob([tpu]) });
    const { job: failed, seen } = await waitForState(client, tpuJob.name!, [
      'JOB_STATE_FAILED',
      'JOB_STATE_SUCCEEDED',
    ]);
    expect(failed.state).toBe('JOB_STATE_FAILED');
    expect(seen).not.toContain('JOB_STATE_RUNNING');
    expect(failed.error).toMatchObject({
      code: 8,
      message: expect.stringMatching(/Resources are insufficient/),
    });
    expect((await waitForState(client, cpuJob.name!, ['JOB_STATE_SUCCEEDED'])).job.state).toBe(
      'JOB_STATE_SUCCEEDED',
    );
    const [retried] = await client.createCustomJob({ parent: PARENT, customJob: customJob([tpu]) });
    expect(
      (await waitForState(client, retried.name!, ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED'])).job.state,
    ).toBe('JOB_STATE_SUCCEEDED');
    remove();
  });

  it('delays a call', async () => {
    fake.faults.add({ method: 'ListCustomJobs', fault: { delayMs: 300 } });
    const started = Date.now();
    await client.listCustomJobs({ parent: PARENT, pageSize: 1 }, { autoPaginate: false });
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('leaves no replica process running after close()', async () => {
    const own = await startFakeVertex({ timing: FAST_TIMING });
    const ownClient = jobServiceClient(own);
    const printPid = nodeCommand('console.log(process.pid); setTimeout(() => {}, 60000)');
    const [job] = await ownClient.createCustomJob({
      parent: PARENT,
      customJob: customJob([cpuPool(printPid), cpuPool(printPid, 2)]),
    });
    await waitForState(ownClient, job.name!, ['JOB_STATE_RUNNING']);
    const run = own.runOf(job.name!)!;
    let pids: number[] = [];
    for (let i = 0; i < 100 && pids.length < 3; i++) {
      await sleep(20);
      pids = run.replicas.map((r) => Number(run.logOf(r.name).trim())).filter((pid) => pid > 0);
    }
    expect(pids).toHaveLength(3);
    expect(pids.every(alive)).toBe(true);
    await ownClient.close();
    await own.close();
    expect(pids.filter(alive)).toEqual([]);
  });
});
