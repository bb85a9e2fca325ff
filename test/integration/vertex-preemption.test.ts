/**
 * GIVEN the fake cloud WHEN Vertex preempts a running Spot job THEN Strato
 * resubmits it as attempt 2, which resumes from its checkpoints/ on gs://
 * and ends SUCCEEDED with continuous metrics.
 */

import { describe, expect, it } from 'vitest';
import { sleep } from '../../src/internal/sleep.ts';
import { submit } from '../../src/jobs/submit.ts';
import { readMetrics, series, trainerJob, useVertexCloud } from '../support/vertex.ts';

const env = useVertexCloud();

const EPOCHS = 3;
/** 1024 examples in batches of 32: 32 steps per epoch. */
const STEPS = EPOCHS * 32;

describe('Vertex preemption end to end', () => {
  // Two trainer boots and a controller process's start on a machine the test shares: more than the default 30 s.
  it('restarts a preempted Spot job, which resumes from checkpoints/ with continuous metrics', {
    timeout: 90_000,
  }, async () => {
    const job = await submit(
      trainerJob('e2e-spot', [`--epochs=${EPOCHS}`, '--train-examples=1024', '--step-delay-ms=40'], {
        scheduling: { spot: true, maxRestarts: 2 },
      }),
      env.jobs,
    );
    // Preempt once the trainer has logged some steps to gs://.
    let logged = 0;
    for (let i = 0; i < 300 && logged === 0; i++) {
      await sleep(100);
      logged = series(await readMetrics(env.cloud, job.runDir), 'train', 'batch_loss').length;
    }
    expect(logged).toBeGreaterThan(0);
    expect(logged).toBeLessThan(STEPS);
    const first = (job.record.handle.data.attempts as { customJob: string }[])[0]!.customJob;
    await env.cloud.vertex!.preempt(first);

    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');
    expect(status.attempt).toBe(2);
    expect(status.restarts).toEqual([
      { attempt: 2, at: expect.any(String), reason: expect.stringMatching(/preempted/) },
    ]);

    // Attempt 2 resumed where attempt 1 stopped: every step once, no step from zero again.
    const metrics = await readMetrics(env.cloud, job.runDir);
    const steps = series(metrics, 'train', 'batch_loss').map((p) => p.step);
    expect(steps).toEqual(Array.from({ length: STEPS }, (_, i) => i + 1));
    expect(new Set(metrics.filter((e) => e.tag === 'batch_loss').map((e) => e.file)).size).toBe(2);
    expect(series(metrics, 'train', 'epoch_loss').map((p) => p.step)).toEqual([0, 1, 2]);
  });
});
