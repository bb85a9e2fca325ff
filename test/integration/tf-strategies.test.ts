/**
 * Every CPU-runnable strategy trains for real: TensorFlow 2.21 with Keras 3,
 * the MNIST example from trainer-images/ on the bundled Fashion-MNIST subset,
 * each from its template in templates/ through `strato run` on the local
 * provider. Each run's loss falls and its test accuracy beats a threshold
 * (chance is 0.10).
 */

import { afterAll, describe, expect, it } from 'vitest';
import { getJob, submit } from '../../src/jobs/submit.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { expectNothingSurvives, tempDir, waitFor } from '../support/local.ts';
import { getTensorflowVenv, templateCopy } from '../support/tensorflow.ts';
import { metricsOf, replicaLog, runJob, series, strato } from '../support/tf-jobs.ts';

const venv = getTensorflowVenv();
const home = tempDir('strato-tf-strategies-');
afterAll(() => home.remove());

// Few steps: TensorFlow's import alone costs ~2 s per process on these machines.
const SHORT = ['--epochs=2', '--steps-per-epoch=40', '--save=weights'];
// These short runs end at 0.62–0.74 across CI runs (batch order, load); 0.5 is five times chance and
// leaves room for that spread, while the falling loss shows each one learns.
const ACCURACY_THRESHOLD = 0.5;
// The 2-worker run without preemption: the preempted run below must match it.
const uninterrupted = { accuracy: Number.NaN };

async function trainsAndLearns(template: string, args: string[], edit?: (spec: JobSpecInput) => void) {
  const file = templateCopy(template, `${home.path}/specs/${Math.random().toString(36).slice(2)}`, {
    args,
    edit,
  });
  const job = await runJob(venv, home.path, file);
  expect(job.code, job.stdout + job.stderr).toBe(0);
  expect(job.stdout).toContain('job        SUCCEEDED');
  // No replica, supervisor or child of TensorFlow's outlives the job.
  await expectNothingSurvives((await getJob(job.id, { home: home.path })).record.jobDir);
  const metrics = await metricsOf(venv, home.path, job.id);
  const loss = series(metrics, 'train', 'epoch_loss');
  expect(loss).toHaveLength(2);
  expect(loss[1]!).toBeLessThan(loss[0]!);
  const accuracy = series(metrics, 'validation', 'epoch_accuracy');
  expect(accuracy.at(-1)!).toBeGreaterThan(ACCURACY_THRESHOLD);
  console.log(
    `${template}: validation accuracy ${accuracy.at(-1)!.toFixed(3)} in ${job.seconds.toFixed(1)} s`,
  );
  return { ...job, accuracy: accuracy.at(-1)! };
}

async function checksums(id: string, replicas: string[]) {
  const sums = [];
  for (const replica of replicas) {
    const log = await replicaLog(venv, home.path, id, replica);
    sums.push(log.find((line) => line.startsWith('weights checksum '))?.slice('weights checksum '.length));
  }
  return sums;
}

describe('real TensorFlow through strato run, one job per strategy', () => {
  it('one-device: Keras 3 fit with the helper callbacks', async () => {
    await trainsAndLearns('tf-local-one-device.yaml', SHORT);
  }, 180_000);

  it('mirrored: 2 replicas in sync on 2 logical CPU devices', async () => {
    const job = await trainsAndLearns('tf-local-mirrored.yaml', [...SHORT, '--batch-size=32']);
    const log = await replicaLog(venv, home.path, job.id, 'worker-0');
    expect(log.join('\n')).toContain('mirrored: no GPU, MirroredStrategy over 2 logical CPU devices');
  }, 180_000);

  it.each([2, 3])(
    'multi-worker-mirrored with %i workers ends with identical weights on every worker',
    async (workers) => {
      const job = await trainsAndLearns(
        'tf-local-multi-worker-mirrored.yaml',
        [...SHORT, '--batch-size=32'],
        (spec) => {
          spec.resources = { workers: { replicas: workers } };
        },
      );
      const names = Array.from({ length: workers }, (_, i) => `worker-${i}`);
      const sums = await checksums(job.id, names);
      expect(sums[0]).toMatch(/^[0-9a-f]{16}$/);
      expect(new Set(sums)).toEqual(new Set([sums[0]]));
      if (workers === 2) uninterrupted.accuracy = job.accuracy;
    },
    240_000,
  );

  it('parameter-server: variables on the ps, steps dispatched by the chief, job ends with the chief', async () => {
    // Asynchronous updates from 2 workers learn less per step than synchronous ones (80 steps ended
    // at 0.57 once in CI), so this run takes 160 steps: 0.68–0.74 here.
    const job = await trainsAndLearns('tf-local-parameter-server.yaml', [
      '--epochs=2',
      '--steps-per-epoch=80',
      '--save=weights',
    ]);
    expect(job.stdout).toMatch(/chief-0\s+SUCCEEDED \(exit 0\)/);
    for (const replica of ['worker-0', 'worker-1', 'ps-0'])
      expect(job.stdout).toMatch(new RegExp(`${replica}\\s+STOPPED`));
    const chief = (await replicaLog(venv, home.path, job.id, 'chief-0')).join('\n');
    expect(chief).toContain("variables on ['/job:ps/replica:0/task:0/device:CPU:0']");
    expect(chief).toContain('parameter-server: coordinator for 2 workers');
  }, 180_000);

  it('DTensor: 2 clients × 2 logical devices form a 4-device mesh, batch as `explain` says', async () => {
    const explained = await strato(venv, home.path, 'explain', 'templates/tf-local-dtensor.yaml');
    expect(explained.stdout).toContain('Data parallel: 4 (global batch = per-shard batch × 4');
    const job = await trainsAndLearns('tf-local-dtensor.yaml', [
      ...SHORT,
      '--batch-size=16',
      '--learning-rate=0.05',
    ]);
    for (const client of ['worker-0', 'worker-1']) {
      const log = (await replicaLog(venv, home.path, job.id, client)).join('\n');
      expect(log).toContain("mesh {'batch': 4}: 2 local devices, global batch 64 = 16 per device x 4");
    }
  }, 180_000);
});

describe('preemption for real (multi-worker-mirrored, 2 workers)', () => {
  // Same data and schedule as the uninterrupted 2-worker run above; batches differ after the restart.
  // 80-step runs vary by about ±0.05 from run to run (batch order); a preempted one must stay within 0.1.
  const ACCURACY_TOLERANCE = 0.1;

  it('SIGTERM mid-training: every worker saves at the same step and exits 42, Strato restarts, training resumes where it stopped', async () => {
    const file = templateCopy('tf-local-multi-worker-mirrored.yaml', `${home.path}/specs/preempted`, {
      args: [...SHORT, '--batch-size=32'],
    });
    const job = await submit(file, { home: home.path, env: venv.env(), stopWhenCallerExits: true });
    // The first epoch's end is flushed to the event files; SIGTERM then lands in epoch 2.
    await waitFor(
      async () => series(await metricsOf(venv, home.path, job.id), 'train', 'epoch_loss').length >= 1,
      'the first epoch',
      120_000,
    );
    const worker1 = (await job.status()).replicas.find((r) => r.name === 'worker-1');
    process.kill(worker1!.pid!, 'SIGTERM');
    const status = await job.wait({ pollIntervalMs: 200 });
    expect(status.state).toBe('SUCCEEDED');
    expect(status.restarts).toHaveLength(1);
    expect(status.restarts[0]!.reason).toMatch(/worker-\d exited with code 42/);

    // Resumed from the preemption save: the step after it, not the epoch's start.
    const log = (await replicaLog(venv, home.path, job.id, 'worker-0')).join('\n');
    const resumedAt = Number(/resumed from \S+ at step (\d+)/.exec(log)?.[1]);
    expect(resumedAt).toBeGreaterThanOrEqual(40);
    expect(resumedAt).toBeLessThan(80);
    expect(log).toContain('preempted (SIGTERM): exiting with 42');

    // The event files: every step once, no gap, no repeat; each epoch once.
    const metrics = await metricsOf(venv, home.path, job.id);
    const steps = metrics.filter((m) => m.run === 'train' && m.tag === 'batch_loss').map((m) => m.step);
    expect(steps.sort((a, b) => a - b)).toEqual(Array.from({ length: 80 }, (_, i) => i + 1));
    const epochs = metrics.filter((m) => m.run === 'train' && m.tag === 'epoch_loss').map((m) => m.step);
    expect(epochs.sort()).toEqual([0, 1]);

    const accuracy = series(metrics, 'validation', 'epoch_accuracy').at(-1)!;
    console.log(
      `preempted at step ${resumedAt}: accuracy ${accuracy.toFixed(3)}, uninterrupted ${uninterrupted.accuracy.toFixed(3)}`,
    );
    expect(Math.abs(accuracy - uninterrupted.accuracy)).toBeLessThan(ACCURACY_TOLERANCE);
    const sums = await checksums(job.id, ['worker-0', 'worker-1']);
    expect(sums[1]).toBe(sums[0]);
    await expectNothingSurvives(job.record.jobDir);
  }, 240_000);
});
