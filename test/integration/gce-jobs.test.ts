/**
 * GCE jobs end to end on the fake cloud: the real Compute client creates the
 * VMs, test/support/machine-sim.ts plays each RUNNING VM (runs its replica,
 * writes logs and exit records to the fake Cloud Storage), and the job
 * lifecycle drives submit, wait, restart and cancel. After every ending, the
 * VMs are listed with the real client: none of the job's is left; after a
 * spot preemption and restart gcloud lists them too (test/README.md: needs gcloud).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComputeApi } from '../../src/infra/gcp/compute-api.ts';
import { isControllerAlive } from '../../src/jobs/controller.ts';
import { submit } from '../../src/jobs/submit.ts';
import { createGceProvider } from '../../src/providers/gce/index.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { gcloudMachinesOf } from '../support/gcloud-machines.ts';
import { tempDir, waitFor } from '../support/local.ts';
import { createDefaultNetwork, simulateVms } from '../support/machine-sim.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');

let fake: FakeCloud;
let stopVms: () => Promise<void>;
const home = tempDir('strato-gce-');
let jobs = 0;

beforeAll(async () => {
  fake = await startFakeCloud({
    storage: { buckets: [{ name: 'my-bucket' }] },
    compute: {},
    vertex: false,
    tpu: false,
    logging: false,
  });
  await createDefaultNetwork(fake.env);
  stopVms = simulateVms(fake.compute!);
});
afterAll(async () => {
  await stopVms();
  await fake.close();
  home.remove();
});

const provider = () =>
  createGceProvider({
    env: fake.env,
    pollScale: 0,
    startupScript: '#!/bin/sh\n# stand-in: test/support/machine-sim.ts plays the VM\n',
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10 },
  });

function spec(script: string, overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name: 'gce-it',
    strategy: 'multi-worker-mirrored',
    container: { image: 'us-docker.pkg.dev/p/r/t:1', command: ['sh', '-c', script] },
    resources: { workers: { replicas: 2, machineType: 'n1-standard-4' } },
    output: `gs://my-bucket/runs/gce-it-${++jobs}`,
    provider: { name: 'gce', project: 'my-project', zone: 'us-central1-a' },
    ...overrides,
  };
}

/** Every VM labelled with the job, in any zone, as the real client lists them. */
async function vmsOf(jobId: string): Promise<string[]> {
  const compute = await createComputeApi({ env: fake.env });
  try {
    const names: string[] = [];
    for await (const [, scoped] of compute.instances.aggregatedListAsync({ project: 'my-project' })) {
      for (const vm of scoped.instances ?? [])
        if (vm.labels?.['strato-job'] === jobId) names.push(vm.name ?? '');
    }
    return names;
  } finally {
    await compute.close();
  }
}

const run = (input: JobSpecInput) =>
  submit(input, { provider: provider(), home: home.path, env: { ...process.env, ...fake.env } });

describe('gce jobs on the fake cloud', () => {
  it('GIVEN a 2-VM job THEN each VM gets its replica, TF_CONFIG names the VMs, and it succeeds with no VM left', async () => {
    const job = await run(spec('echo "$TF_CONFIG"'));
    expect(await vmsOf(job.id)).toHaveLength(2);
    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status.state).toBe('SUCCEEDED');
    const lines = [];
    for await (const line of job.logs()) lines.push(line);
    const tfConfig = JSON.parse(lines.find((l) => l.replica === 'worker-1')!.text);
    expect(tfConfig.task).toEqual({ type: 'worker', index: 1 });
    expect(tfConfig.cluster.worker[0]).toMatch(new RegExp(`^strato-${job.id}-a1-worker-0:\\d+$`));
    expect(await vmsOf(job.id)).toEqual([]);
  });

  it('GIVEN a user error THEN FAILED with the last lines, not restarted, no VM left', async () => {
    const job = await run(spec('echo bad input >&2; exit 3', { scheduling: { maxRestarts: 2 } }));
    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status).toMatchObject({
      state: 'FAILED',
      attempt: 1,
      error: { exitCode: 3, lastLines: ['bad input'] },
    });
    expect(await vmsOf(job.id)).toEqual([]);
  });

  it('GIVEN a stockout in the first zone THEN the VMs land in the next one, and nothing is left in the first', async () => {
    const clear = fake.compute!.capacity.stockout({ zone: 'us-central1-a' });
    try {
      const job = await run(
        spec('true', {
          provider: { name: 'gce', project: 'my-project', zones: ['us-central1-a', 'us-central1-b'] },
        }),
      );
      const zones = (job.record.handle.data as { attempts: { zone: string }[] }).attempts.map((a) => a.zone);
      expect(zones).toEqual(['us-central1-b']);
      expect((await job.wait({ pollIntervalMs: 50 })).state).toBe('SUCCEEDED');
      expect(await vmsOf(job.id)).toEqual([]);
    } finally {
      clear();
    }
  });

  it('GIVEN every allowed zone stocked out THEN submit fails with E_NO_CAPACITY and creates nothing', async () => {
    const clear = fake.compute!.capacity.stockout({});
    try {
      await expect(run(spec('true'))).rejects.toMatchObject({ code: 'E_NO_CAPACITY' });
      const left = [...fake.compute!.context.instances.values()].filter((vm) =>
        String(vm.name).includes('gce-it'),
      );
      expect(left.filter((vm) => vm.status === 'RUNNING')).toEqual([]);
    } finally {
      clear();
    }
  });

  it('GIVEN a spot VM preempted mid-job THEN attempt 2 runs on new VMs and succeeds, and no VM is left', {
    timeout: 90_000,
  }, async () => {
    // Attempt 1 waits to be preempted; attempt 2 (its TF_CONFIG names -a2- VMs) finishes.
    const job = await run(
      spec('case "$TF_CONFIG" in *-a1-*) sleep 60 ;; *) echo resumed ;; esac', {
        scheduling: { spot: true, maxRestarts: 1 },
      }),
    );
    const victim = `strato-${job.id}-a1-worker-1`;
    for (let i = 0; i < 200 && (await job.status()).state !== 'RUNNING'; i++)
      await new Promise((r) => setTimeout(r, 50));
    fake.compute!.preempt('my-project', 'us-central1-a', victim);
    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(status.restarts[0]?.reason).toMatch(/is TERMINATED/);
    // The preempted VM is TERMINATED, not gone, until the restart deletes it: gcloud lists every zone.
    // The controller's deletes may still be in flight when this look returns: wait for them first.
    await waitFor(async () => (await vmsOf(job.id)).length === 0, 'the VMs deleted', 30_000);
    const left = await gcloudMachinesOf(fake, job.id, { project: 'my-project', zone: 'us-central1-a' });
    expect(left.map((vm) => `${vm.name} ${vm.state}`)).toEqual([]);
  });

  it('GIVEN the release of an ended job refused THEN the next look at the job (wait, list, watch) deletes its VMs', async () => {
    // Compute refuses every delete: whoever sees the end first (this process or the controller) fails to release.
    fake.compute!.faults.add({ method: 'DELETE', path: /\/instances\//, fault: { status: 403 } });
    let job: Awaited<ReturnType<typeof run>>;
    try {
      job = await run(spec('true'));
      expect((await job.wait({ pollIntervalMs: 50 })).state).toBe('SUCCEEDED');
      await waitFor(
        () => !isControllerAlive(job.record.jobDir),
        'the controller to end with its job',
        30_000,
      );
      expect(await vmsOf(job.id)).toHaveLength(2);
    } finally {
      fake.compute!.faults.clear();
    }
    // The job has ended and is stored so; its machines are still to be released, and a reader does it.
    expect((await job.wait({ pollIntervalMs: 50 })).state).toBe('SUCCEEDED');
    expect(await vmsOf(job.id)).toEqual([]);
  });

  it('GIVEN a running job cancelled THEN CANCELLED and every VM deleted', async () => {
    const job = await run(spec('sleep 60'));
    const status = await job.cancel();
    expect(status.state).toBe('CANCELLED');
    expect(await vmsOf(job.id)).toEqual([]);
  });
});
