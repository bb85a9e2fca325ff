/**
 * Real TensorFlow on the `gce` provider, on VMs that really boot: the job is
 * the gce template's (Strato's trainer image, MultiWorkerMirrored on 2 spot
 * VMs); the fake Compute boots each VM, the real startup script runs the
 * image through the docker shim, which runs the trainer helper's MNIST
 * example with the TensorFlow venv (src/testing/image-commands.ts). Every
 * gs:// folder the trainer writes goes to the fake Cloud Storage through the
 * helper's staging (trainer-images/strato_trainer/staging.py: the fake VMs'
 * environment carries STORAGE_EMULATOR_HOST, see src/testing/fake-cloud.ts),
 * and a preempted job's attempt 2 restores from there. Needs gcloud and the
 * TensorFlow venv (test/README.md).
 */

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createComputeApi } from '../../src/infra/gcp/compute-api.ts';
import { submit } from '../../src/jobs/submit.ts';
import { createGceProvider } from '../../src/providers/gce/index.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { gcloudMachinesOf } from '../support/gcloud-machines.ts';
import { tempDir, waitFor } from '../support/local.ts';
import { createDefaultNetwork } from '../support/machine-sim.ts';
import { getTensorflowVenv, type TensorflowVenv, templateCopy } from '../support/tensorflow.ts';
import { strato } from '../support/tf-jobs.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');
const tf = getTensorflowVenv();
const home = tempDir('strato-gce-tf-');
let fake: FakeCloud;
/** The venv with the fake cloud's environment, for `strato` commands in this process. */
let venv: TensorflowVenv;

beforeAll(async () => {
  fake = await startFakeCloud({
    storage: { buckets: [{ name: 'my-bucket' }] },
    compute: {},
    vertex: false,
    tpu: false,
    logging: false,
    // A preempted VM's trainer saves and uploads before its VM is down (Compute Engine gives 30 s).
    boot: { graceMs: 15_000 },
  });
  await createDefaultNetwork(fake.env);
  venv = { ...tf, env: (extra = {}) => tf.env({ ...fake.env, ...extra }) };
});
afterAll(async () => {
  await fake?.close();
  home.remove();
});

interface MetricLine {
  run: string;
  tag: string;
  step: number;
  value: number;
  file: string;
}

/** `strato metrics JOB --json`: every scalar of the run dir, read from gs:// of the fake. */
async function metricsOf(jobId: string): Promise<MetricLine[]> {
  const { code, stdout, stderr } = await strato(venv, home.path, 'metrics', jobId, '--json');
  expect(code, stderr).toBe(0);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as MetricLine);
}

const seriesOf = (metrics: MetricLine[], run: string, tag: string) =>
  metrics.filter((m) => m.run === run && m.tag === tag).sort((a, b) => a.step - b.step);

/** The gce template, renamed, training few steps on synthetic images (no DATA_DIR on the VMs). */
function jobFile(name: string, args: string[]): string {
  return templateCopy('gce-multi-worker-mirrored.yaml', `${home.path}/specs/${name}`, {
    args,
    edit: (spec) => {
      spec.name = name;
      spec.output = `gs://my-bucket/runs/${name}`;
      // templateCopy points it at this repository (for local templates); a VM runs the image's own.
      delete spec.container.workingDir;
    },
  });
}

const run = (file: string) =>
  submit(file, {
    provider: createGceProvider({ env: fake.env, pollScale: 0 }),
    home: home.path,
    env: { ...process.env, ...fake.env },
  });

/** Each replica's lines from the bucket's log objects, through the provider. */
async function logsOf(job: Awaited<ReturnType<typeof run>>): Promise<Map<string, string[]>> {
  const lines = new Map<string, string[]>();
  for await (const line of job.logs())
    lines.set(line.replica, [...(lines.get(line.replica) ?? []), line.text]);
  return lines;
}

async function objectsUnder(prefix: string): Promise<string[]> {
  const storage = new Storage({ apiEndpoint: fake.endpoints.storage!, projectId: 'my-project' });
  const [files] = await storage.bucket('my-bucket').getFiles({ prefix });
  return files.map((f) => f.name);
}

/** The job's VMs in the zone the template lists first (where they land), as the real client lists them. */
async function vmsOf(jobId: string): Promise<string[]> {
  const compute = await createComputeApi({ env: fake.env });
  try {
    const [vms] = await compute.instances.list({ project: 'my-project', zone: 'us-central1-a' });
    return vms.map((vm) => vm.name ?? '').filter((name) => name.startsWith(`strato-${jobId}-`));
  } finally {
    await compute.close();
  }
}

/**
 * None of the job's VMs is left: the controller's deletes may still be in flight when the job's end is
 * seen, so wait until the client lists none, then ask gcloud (every zone) once.
 */
async function expectNoVmOf(jobId: string): Promise<void> {
  await waitFor(async () => (await vmsOf(jobId)).length === 0, `the VMs of ${jobId} deleted`, 30_000);
  const where = { project: 'my-project', zone: 'us-central1-a' };
  expect(await gcloudMachinesOf(fake, jobId, where)).toEqual([]);
  await waitFor(() => fake.fleet!.running().length === 0, 'every VM process gone', 30_000);
}

describe('real TensorFlow on gce VMs that boot', () => {
  it('GIVEN the gce template on 2 spot VMs THEN both workers train in sync, the chief writes checkpoints and event files to gs://, the loss falls, no VM is left', async () => {
    const started = Date.now();
    const job = await run(
      jobFile('gce-tf-mwms', ['--epochs=2', '--steps-per-epoch=20', '--batch-size=32', '--save=weights']),
    );
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(150_000) });
    const logs = await logsOf(job);
    expect(status.state, JSON.stringify({ error: status.error, logs: [...logs] })).toBe('SUCCEEDED');

    // Both workers trained every epoch, and ended with the same weights (one all-reduce per step).
    const sums = ['worker-0', 'worker-1'].map((replica) => {
      const lines = logs.get(replica) ?? [];
      expect(lines.join('\n'), replica).toMatch(/^epoch 2\/2 {2}loss /m);
      return lines.find((l) => l.startsWith('weights checksum '))?.slice('weights checksum '.length);
    });
    expect(sums[0]).toMatch(/^[0-9a-f]{16}$/);
    expect(sums[1]).toBe(sums[0]);

    const names = await objectsUnder('runs/gce-tf-mwms/');
    expect(names).toContain('runs/gce-tf-mwms/checkpoints/backup/checkpoint');
    expect(names.some((n) => n.startsWith('runs/gce-tf-mwms/checkpoints/backup/epoch-40.'))).toBe(true);
    expect(names.some((n) => /^runs\/gce-tf-mwms\/logs\/train\/events\.out\.tfevents\./.test(n))).toBe(true);
    expect(names).toContain('runs/gce-tf-mwms/model/model.weights.h5');

    const metrics = await metricsOf(job.id);
    const loss = seriesOf(metrics, 'train', 'epoch_loss');
    expect(loss.map((p) => p.step)).toEqual([0, 1]);
    expect(loss[1]!.value).toBeLessThan(loss[0]!.value);
    expect(seriesOf(metrics, 'train', 'batch_loss').map((p) => p.step)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );
    await expectNoVmOf(job.id);
    console.log(`gce-tf-mwms: SUCCEEDED in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }, 180_000);

  it('GIVEN a spot VM preempted mid-epoch THEN attempt 2 on new VMs restores the checkpoint from gs:// and the metrics run on with no gap and no repeat', async () => {
    const name = 'gce-tf-spot';
    const [EPOCHS, STEPS_PER_EPOCH] = [3, 20];
    const job = await run(
      jobFile(name, [
        `--epochs=${EPOCHS}`,
        `--steps-per-epoch=${STEPS_PER_EPOCH}`,
        '--batch-size=32',
        '--save=weights',
      ]),
    );
    // The first epoch's backup is on gs://: the preemption lands in epoch 2, after a checkpoint.
    await waitFor(
      async () => (await objectsUnder(`runs/${name}/checkpoints/backup/checkpoint`)).length > 0,
      'the first backup in the bucket',
      120_000,
    );
    fake.compute!.preempt('my-project', 'us-central1-a', `strato-${job.id}-a1-worker-1`);

    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(240_000) });
    const logs = await logsOf(job);
    expect(status.state, JSON.stringify({ error: status.error, logs: [...logs] })).toBe('SUCCEEDED');
    expect(status.attempt).toBe(2);
    expect(status.restarts).toHaveLength(1);
    expect(status.restarts[0]!.reason).toMatch(/a1-worker-1 is TERMINATED/);

    // Both attempts' lines, in order: the preempted worker saved with the other and left; attempt 2's
    // TensorFlow cluster is the new VMs, and both its workers restored the save from the bucket.
    const text = (replica: string) => (logs.get(replica) ?? []).join('\n');
    expect(text('worker-1')).toMatch(/preempted \(SIGTERM\): exiting with \d+/);
    expect(text('worker-0')).toContain(`strato-${job.id}-a2-worker-1:`);
    const resumed = ['worker-0', 'worker-1'].map((replica) =>
      Number(/resumed from \S+ at step (\d+)/.exec(text(replica))?.[1]),
    );
    // Later than the first epoch's backup: the coordinated save at the preemption, not the epoch's start.
    expect(resumed[0]).toBeGreaterThan(STEPS_PER_EPOCH);
    expect(resumed[0]).toBeLessThan(EPOCHS * STEPS_PER_EPOCH);
    expect(resumed[1]).toBe(resumed[0]);

    // The event files, one per attempt: every step once, no gap, no repeat; attempt 2's first step is
    // the one after the restored save; each epoch once, and the loss still falls.
    const metrics = await metricsOf(job.id);
    const steps = seriesOf(metrics, 'train', 'batch_loss');
    expect(steps.map((p) => p.step)).toEqual(
      Array.from({ length: EPOCHS * STEPS_PER_EPOCH }, (_, i) => i + 1),
    );
    expect(new Set(steps.map((p) => p.file)).size).toBe(2);
    expect(steps.find((p) => p.file === steps.at(-1)!.file)!.step).toBe(resumed[0]! + 1);
    const loss = seriesOf(metrics, 'train', 'epoch_loss');
    expect(loss.map((p) => p.step)).toEqual([0, 1, 2]);
    expect(loss[2]!.value).toBeLessThan(loss[0]!.value);
    await expectNoVmOf(job.id);
  }, 300_000);
});
