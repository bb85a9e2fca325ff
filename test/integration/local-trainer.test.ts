/**
 * The reference trainer as the quickstart runs it: two workers on this
 * machine, synchronous data-parallel training of an MLP on the shipped
 * Fashion-MNIST subset, through the local provider.
 */

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '../../src/jobs/job.ts';
import { submit } from '../../src/jobs/submit.ts';
import { followRunMetrics } from '../../src/metrics/stream.ts';
import type { MetricEvent } from '../../src/metrics/types.ts';
import { createLocalProvider } from '../../src/providers/local/index.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { defaultTrainerPath } from '../../src/strategies/run-dir.ts';
import { expectNothingSurvives, REPO_ROOT, tempDir, waitFor } from '../support/local.ts';

/** Stated quality bar: 2 epochs on 2,000 examples reach this validation accuracy (10 classes; chance is 0.10). */
const MIN_VALIDATION_ACCURACY = 0.7;

const home = tempDir('strato-trainer-');
afterAll(() => home.remove());
const provider = createLocalProvider({ graceMs: 5000, pollIntervalMs: 50 });

function trainerSpec(extraArgs: string[]): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name: 'reference-trainer',
    strategy: 'multi-worker-mirrored',
    container: {
      command: ['node', '--import', 'tsx', 'trainer-images/reference/train.ts'],
      args: ['--epochs=2', '--train-examples=2000', '--batch-size=25', ...extraArgs],
    },
    resources: { workers: { replicas: 2 } },
    data: [{ source: 'templates/quickstart-data/fashion-mnist-mini', env: 'DATA_DIR' }],
    scheduling: { maxRestarts: 1 },
  };
}

async function metricsOf(runDir: string): Promise<MetricEvent[]> {
  const events: MetricEvent[] = [];
  for await (const event of followRunMetrics(runDir)) events.push(event);
  return events;
}

function modelValidation(runDir: string): { loss: number; accuracy: number } {
  const path = join(defaultTrainerPath(`${runDir}/model/`), 'model.json');
  return (JSON.parse(readFileSync(path, 'utf8')) as { validation: { loss: number; accuracy: number } })
    .validation;
}

let uninterrupted: { loss: number; accuracy: number } | undefined;
let plainJob: Job;
let interruptedJob: Job;
/** Resolves once worker-1 of the interrupted job has been SIGKILLed, mid-way through training. */
let interruption: Promise<void>;

describe('reference trainer on two local workers', () => {
  // Both runs at once: the same training, one of them interrupted, compared at the end.
  beforeAll(async () => {
    plainJob = await submit(trainerSpec([]), { provider, home: home.path, baseDir: REPO_ROOT });
    interruptedJob = await submit(trainerSpec(['--step-delay-ms=25']), {
      provider,
      home: home.path,
      baseDir: REPO_ROOT,
    });
    // Watched from here, not from its test: by the time the first test is done this job
    // could be over. After the first epoch's checkpoint, kill worker-1 the hard way.
    interruption = (async () => {
      const job = interruptedJob;
      const checkpointIndex = join(defaultTrainerPath(`${job.runDir}/checkpoints/`), 'checkpoint');
      await waitFor(() => existsSync(checkpointIndex), 'the first checkpoint', 40_000);
      const worker1 = (await job.status()).replicas.find((r) => r.name === 'worker-1')!;
      process.kill(worker1.pid!, 'SIGKILL');
    })();
    interruption.catch(() => {}); // awaited (and reported) by its test
  });

  it('trains: the loss falls and the validation accuracy passes the stated bar', async () => {
    const job = plainJob;
    const status = await job.wait({ pollIntervalMs: 100 });
    expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');
    const events = await metricsOf(job.runDir);
    const series = (run: string, tag: string) =>
      events.filter((e) => e.run === run && e.tag === tag).sort((a, b) => a.step - b.step);
    const trainLoss = series('train', 'epoch_loss');
    expect(trainLoss.map((e) => e.step)).toEqual([0, 1]);
    expect(trainLoss[1]!.value).toBeLessThan(trainLoss[0]!.value);
    const batchLoss = series('train', 'batch_loss');
    expect(batchLoss).toHaveLength(80);
    expect(batchLoss.at(-1)!.value).toBeLessThan(batchLoss[0]!.value / 2);
    const accuracy = series('validation', 'epoch_accuracy').at(-1)!.value;
    expect(accuracy).toBeGreaterThanOrEqual(MIN_VALIDATION_ACCURACY);
    uninterrupted = modelValidation(job.runDir);
    // Event files store float32.
    expect(uninterrupted.accuracy).toBeCloseTo(accuracy, 5);
    await expectNothingSurvives(job.record.jobDir);
  }, 60_000);

  it('a worker killed mid-way restarts the job from checkpoints/ and ends at the same quality', async () => {
    const job = interruptedJob;
    await interruption;
    const status = await job.wait({ pollIntervalMs: 100 });
    expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');
    expect(uninterrupted, 'needs the uninterrupted run above').toBeDefined();
    expect(status.attempt).toBe(2);
    expect(status.restarts[0]!.reason).toContain('worker-1 was killed by SIGKILL');
    const logs: string[] = [];
    for await (const line of job.logs({ replica: 'worker-0' })) logs.push(line.text);
    expect(logs.some((line) => line.startsWith('restored '))).toBe(true);
    // Resumed from the exact step the chief saved at: same weights, same result.
    const resumed = modelValidation(job.runDir);
    expect(resumed.accuracy).toBeCloseTo(uninterrupted!.accuracy, 6);
    expect(resumed.loss).toBeCloseTo(uninterrupted!.loss, 6);
    await expectNothingSurvives(job.record.jobDir);
  }, 90_000);
});
