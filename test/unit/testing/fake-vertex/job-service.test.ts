/**
 * The fake JobService, driven by the real `@google-cloud/aiplatform` client:
 * jobs move through their states and run as processes with the environment
 * Vertex injects; list filters and pages; cancel and delete (a long-running
 * operation) behave as on the service.
 */

import { lookup } from 'node:dns/promises';
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
  printEnvScript,
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

const lookup4 = (host: string) => lookup(host, { family: 4 });

/** What a replica printed of its environment (the primary prints before it ends the job). */
function printedEnvOf(jobName: string, replica: string): Record<string, string> {
  const line = fake.runOf(jobName)!.logOf(replica).split('\n')[0]!;
  return JSON.parse(line) as Record<string, string>;
}

/** The environment the fake started a replica with (others may be stopped before they print). */
function envOf(jobName: string, replica: string): Record<string, string> {
  return fake.runOf(jobName)!.replicas.find((r) => r.name === replica)!.env;
}

describe('fake Vertex JobService', () => {
  it('moves a job QUEUED → PENDING → RUNNING → SUCCEEDED and runs every replica with the Vertex env', async () => {
    const pools = [
      cpuPool(nodeCommand(printEnvScript(300))),
      cpuPool(nodeCommand(printEnvScript(100)), 2),
      cpuPool(nodeCommand(printEnvScript(5000))),
      cpuPool(nodeCommand(printEnvScript(5000))),
    ];
    const [created] = await client.createCustomJob({ parent: PARENT, customJob: customJob(pools) });
    expect(created.state).toBe('JOB_STATE_QUEUED');
    expect(created.name).toMatch(/^projects\/my-project\/locations\/us-central1\/customJobs\/\d{19}$/);

    const { job, seen } = await waitForState(client, created.name!, [
      'JOB_STATE_SUCCEEDED',
      'JOB_STATE_FAILED',
    ]);
    expect(job.state).toBe('JOB_STATE_SUCCEEDED');
    expect([...new Set([created.state, ...seen])]).toEqual([
      'JOB_STATE_QUEUED',
      'JOB_STATE_PENDING',
      'JOB_STATE_RUNNING',
      'JOB_STATE_SUCCEEDED',
    ]);
    expect(Number(job.startTime?.seconds)).toBeGreaterThan(0);
    expect(Number(job.endTime?.seconds)).toBeGreaterThan(0);

    const chief = printedEnvOf(created.name!, 'workerpool0-0');
    const clusterSpec = JSON.parse(chief.CLUSTER_SPEC!);
    expect(Object.keys(clusterSpec.cluster)).toEqual([
      'workerpool0',
      'workerpool1',
      'workerpool2',
      'workerpool3',
    ]);
    expect(clusterSpec.cluster.workerpool1).toHaveLength(2);
    expect(clusterSpec.task).toEqual({ type: 'workerpool0', index: 0, trial: '' });

    const tfConfig = JSON.parse(envOf(created.name!, 'workerpool1-1').TF_CONFIG!);
    expect(Object.keys(tfConfig.cluster)).toEqual(['chief', 'worker', 'ps']);
    expect(tfConfig.task).toMatchObject({ type: 'worker', index: 1 });
    // Named as Vertex names its machines; the ports differ (one machine cannot give every server 2222).
    const jobId = created.name!.split('/').at(-1);
    expect(tfConfig.cluster.worker[1]).toBe(
      `cmle-training-workerpool1-${jobId}-1:${tfConfig.cluster.worker[1].split(':')[1]}`,
    );

    const evaluator = JSON.parse(envOf(created.name!, 'workerpool3-0').TF_CONFIG!);
    expect(evaluator.task.type).toBe('evaluator');
    expect(evaluator.cluster.evaluator).toBeUndefined();

    expect(chief).toMatchObject({
      AIP_MODEL_DIR: 'gs://bucket/runs/test/model/',
      AIP_CHECKPOINT_DIR: 'gs://bucket/runs/test/checkpoints/',
      AIP_TENSORBOARD_LOG_DIR: 'gs://bucket/runs/test/logs/',
      CLOUD_ML_JOB_ID: created.name!.split('/').at(-1),
    });
  });

  it("resolves every replica's host name to loopback inside the replicas, and only there", async () => {
    // The chief looks up each host of CLUSTER_SPEC with getaddrinfo, as TensorFlow's gRPC does.
    const lookupScript = `const dns = require('node:dns');
const hosts = Object.values(JSON.parse(process.env.CLUSTER_SPEC).cluster).flat().map((a) => a.split(':')[0]);
Promise.all(hosts.map((h) => dns.promises.lookup(h, { family: 4 }).then((r) => h + ' ' + r.address)))
  .then((lines) => console.log(lines.join('\\n')), (e) => { console.log('lookup failed: ' + e.message); process.exit(1); });`;
    const [created] = await client.createCustomJob({
      parent: PARENT,
      customJob: customJob([
        cpuPool(nodeCommand(lookupScript)),
        cpuPool(nodeCommand(printEnvScript(5_000)), 2),
      ]),
    });
    const { job } = await waitForState(client, created.name!, ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED']);
    const log = fake.runOf(created.name!)!.logOf('workerpool0-0');
    expect(job.state, log).toBe('JOB_STATE_SUCCEEDED');
    const jobId = created.name!.split('/').at(-1);
    expect(log.trim().split('\n').sort()).toEqual([
      `cmle-training-workerpool0-${jobId}-0 127.0.0.1`,
      `cmle-training-workerpool1-${jobId}-0 127.0.0.1`,
      `cmle-training-workerpool1-${jobId}-1 127.0.0.1`,
    ]);
    // This machine's own /etc/hosts is untouched.
    await expect(lookup4(`cmle-training-workerpool0-${jobId}-0`)).rejects.toThrow(/ENOTFOUND|EAI_AGAIN/);
  });

  it('runs every VM of a multi-host TPU slice with its TPU worker id', async () => {
    const pool = {
      machineSpec: { machineType: 'ct5lp-hightpu-4t', tpuTopology: '4x4' },
      replicaCount: 1,
      containerSpec: { imageUri: 'tpu-image', command: nodeCommand(printEnvScript(100)) },
    };
    const [created] = await client.createCustomJob({ parent: PARENT, customJob: customJob([pool]) });
    await waitForState(client, created.name!, ['JOB_STATE_SUCCEEDED']);
    const hosts = [0, 1, 2, 3].map((vm) => envOf(created.name!, `workerpool0-0-vm${vm}`));
    expect(hosts.map((h) => h.TPU_WORKER_ID)).toEqual(['0', '1', '2', '3']);
    // Four distinct hosts, one per VM of the slice, every one an address of this machine.
    const names = hosts[0]!.TPU_WORKER_HOSTNAMES!.split(',');
    expect(new Set(names).size).toBe(4);
    expect(names.every((h) => /^127\.\d+\.\d+\.\d+$/.test(h))).toBe(true);
    expect(hosts.every((h) => h.TPU_WORKER_HOSTNAMES === hosts[0]!.TPU_WORKER_HOSTNAMES)).toBe(true);
    // TF_CONFIG and CLUSTER_SPEC carry the CustomJobSpec as `job`, as Vertex's do.
    expect(JSON.parse(hosts[1]!.TF_CONFIG!).job.workerPoolSpecs[0]).toMatchObject({
      machineSpec: { machineType: 'ct5lp-hightpu-4t', tpuTopology: '4x4' },
      replicaCount: '1',
    });
    expect(JSON.parse(hosts[1]!.CLUSTER_SPEC!).job.workerPoolSpecs).toHaveLength(1);
    expect(JSON.parse(hosts[2]!.CLUSTER_SPEC!).cluster.workerpool0).toHaveLength(1);
  });

  it('fails a job when a replica exits non-zero, naming the replica, its status and its last log lines', async () => {
    const failing = nodeCommand('console.error("loss is NaN"); process.exit(3)');
    const [created] = await client.createCustomJob({
      parent: PARENT,
      customJob: customJob([cpuPool(nodeCommand('setTimeout(() => {}, 10000)')), cpuPool(failing)]),
    });
    const { job } = await waitForState(client, created.name!, ['JOB_STATE_FAILED', 'JOB_STATE_SUCCEEDED']);
    expect(job.state).toBe('JOB_STATE_FAILED');
    expect(job.error?.code).toBe(3);
    expect(job.error?.message).toMatch(/The replica workerpool1-0 exited with a non-zero status of 3/);
    expect(job.error?.message).toMatch(/loss is NaN/);
  });

  it('ends a job that outlives scheduling.timeout with DEADLINE_EXCEEDED', async () => {
    const [created] = await client.createCustomJob({
      parent: PARENT,
      customJob: customJob([cpuPool(nodeCommand('setTimeout(() => {}, 60000)'))], { timeoutSec: 1 }),
    });
    const { job } = await waitForState(client, created.name!, ['JOB_STATE_FAILED']);
    expect(job.error?.code).toBe(4);
    expect(job.error?.message).toMatch(/timeout of 1s/);
  });

  it('lists jobs by label and state, a page at a time', async () => {
    const labels = { suite: 'paging' };
    const names: string[] = [];
    for (let i = 0; i < 5; i++) {
      const [job] = await client.createCustomJob({
        parent: PARENT,
        customJob: customJob([cpuPool(nodeCommand(''))], { labels: { ...labels, n: String(i) } }),
      });
      names.push(job.name!);
    }
    const pages: string[][] = [];
    let pageToken: string | undefined;
    do {
      const [jobs, , response] = await client.listCustomJobs(
        { parent: PARENT, filter: 'labels.suite="paging"', pageSize: 2, ...(pageToken ? { pageToken } : {}) },
        { autoPaginate: false },
      );
      pages.push(jobs.map((j) => j.name!));
      pageToken = response?.nextPageToken || undefined;
    } while (pageToken);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(names);

    const [third] = await client.listCustomJobs({
      parent: PARENT,
      filter: 'labels.suite="paging" AND labels.n="2"',
    });
    expect(third.map((j) => j.name)).toEqual([names[2]]);

    await Promise.all(names.map((name) => waitForState(client, name, ['JOB_STATE_SUCCEEDED'])));
    const [none] = await client.listCustomJobs({
      parent: PARENT,
      filter: 'labels.suite="paging" AND state!="JOB_STATE_SUCCEEDED"',
    });
    expect(none).toEqual([]);
  });

  it('refuses a bad filter or page token with INVALID_ARGUMENT', async () => {
    await expect(client.listCustomJobs({ parent: PARENT, filter: 'colour="red"' })).rejects.toMatchObject({
      code: 3,
    });
    await expect(
      client.listCustomJobs({ parent: PARENT, pageToken: 'nonsense' }, { autoPaginate: false }),
    ).rejects.toMatchObject({ code: 3 });
  });

  it('refuses an invalid job with INVALID_ARGUMENT and the list of found errors', async () => {
    const bad = customJob([cpuPool(nodeCommand(''), 2, 'n1-standard-1')]);
    await expect(client.createCustomJob({ parent: PARENT, customJob: bad })).rejects.toMatchObject({
      code: 3,
      details: expect.stringMatching(/^List of found errors:.*replica_count.*machine_type/s),
    });
  });

  it('cancels a running job: its processes stop and it ends CANCELLED with code 1', async () => {
    const [created] = await client.createCustomJob({
      parent: PARENT,
      customJob: customJob([
        cpuPool(nodeCommand('setTimeout(() => {}, 60000)')),
        cpuPool(nodeCommand('setTimeout(() => {}, 60000)'), 2),
      ]),
    });
    await waitForState(client, created.name!, ['JOB_STATE_RUNNING']);
    await client.cancelCustomJob({ name: created.name });
    const { job, seen } = await waitForState(client, created.name!, ['JOB_STATE_CANCELLED']);
    expect(seen).toContain('JOB_STATE_CANCELLED');
    expect(job.error).toMatchObject({ code: 1 });
    await expect(client.cancelCustomJob({ name: created.name })).rejects.toMatchObject({ code: 9 });
  });

  it('cancels a queued job before it starts anything', async () => {
    const [created] = await client.createCustomJob({
      parent: PARENT,
      customJob: customJob([cpuPool(nodeCommand('process.exit(9)'))]),
    });
    await client.cancelCustomJob({ name: created.name });
    const { job } = await waitForState(client, created.name!, ['JOB_STATE_CANCELLED', 'JOB_STATE_FAILED']);
    expect(job.state).toBe('JOB_STATE_CANCELLED');
    expect(fake.runOf(created.name!)!.replicas).toEqual([]);
  });

  it('deletes a finished job through a long-running operation, and refuses to delete a running one', async () => {
    const [running] = await client.createCustomJob({
      parent: PARENT,
      customJob: customJob([cpuPool(nodeCommand('setTimeout(() => {}, 60000)'))]),
    });
    await expect(client.deleteCustomJob({ name: running.name })).rejects.toMatchObject({ code: 9 });
    await client.cancelCustomJob({ name: running.name });
    await waitForState(client, running.name!, ['JOB_STATE_CANCELLED']);

    const [operation] = await client.deleteCustomJob({ name: running.name });
    expect(operation.name).toContain(`${running.name}/operations/`);
    await operation.promise();
    expect(operation.done).toBe(true);
    expect(fake.faults.counts.calls.GetOperation).toBeGreaterThan(0);
    await expect(client.getCustomJob({ name: running.name })).rejects.toMatchObject({ code: 5 });
  });

  it('answers NOT_FOUND for a job that never existed', async () => {
    await expect(client.getCustomJob({ name: `${PARENT}/customJobs/42` })).rejects.toMatchObject({ code: 5 });
  });
});
