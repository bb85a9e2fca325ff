/**
 * Restarts of a local job belong to the lifecycle, not to whoever polls:
 * GIVEN a detached job with restarts allowed WHEN a replica is killed by
 * SIGTERM mid-run THEN its controller starts attempt 2 with nobody asking
 * for the status; and WHEN the controller itself is SIGKILLed THEN a later
 * `status` (any process's) starts the next attempt — exactly once. After
 * each, nothing of the job is left running.
 */

import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findControllerRecord } from '../../src/jobs/controller.ts';
import { createJobStore } from '../../src/jobs/store.ts';
import { getJob, submit } from '../../src/jobs/submit.ts';
import { createLocalProvider } from '../../src/providers/local/index.ts';
import { isProcessAlive } from '../../src/providers/local/proc.ts';
import { findLocalState } from '../../src/providers/local/state.ts';
import { expectNothingSurvives, shellSpec, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-detached-');
afterAll(() => home.remove());
const provider = createLocalProvider({ graceMs: 1000, pollIntervalMs: 50 });

/** Two workers; worker-1 sleeps on its first attempt (until it is killed), every later run ends at once. */
function spec(marks: string) {
  const script =
    'if [ "$STRATO_REPLICA_INDEX" = 1 ] && [ ! -e "$MARKS/first" ]; then touch "$MARKS/first"; exec sleep 60; fi; echo done';
  return shellSpec(script, {
    container: { command: ['sh', '-c', script], env: { MARKS: marks } },
    scheduling: { maxRestarts: 2 },
  });
}

describe('a detached local job', () => {
  it('restarts after a replica is killed by SIGTERM, with nobody polling', async () => {
    const marks = tempDir('strato-marks-');
    const job = await submit(spec(marks.path), { provider, home: home.path });
    const jobDir = job.record.jobDir;
    // Only the job folder is read from here on: no status call, no watch.
    const sleeper = await waitFor(() => {
      const state = findLocalState(jobDir);
      const worker = state?.replicas.find((r) => r.name === 'worker-1');
      return existsSync(join(marks.path, 'first')) && worker?.state === 'RUNNING' && worker.pid;
    }, 'worker-1 sleeping');
    process.kill(sleeper, 'SIGTERM');

    const ended = await waitFor(() => {
      const state = findLocalState(jobDir);
      return state?.attempt === 2 && state.state === 'SUCCEEDED' && state;
    }, 'attempt 2 succeeded');
    expect(ended.restarts).toEqual([
      {
        attempt: 2,
        at: expect.any(String),
        reason: 'worker-1 was killed by SIGTERM (a preemption); restarting as attempt 2 of 3',
      },
    ]);
    // The controller recorded the end in the job store, and exited.
    await expectNothingSurvives(jobDir);
    expect(createJobStore(home.path).getJob(job.id).state).toBe('SUCCEEDED');
    marks.remove();
  });

  it('with its controller SIGKILLed, a later status starts the next attempt exactly once', async () => {
    const marks = tempDir('strato-marks-');
    const job = await submit(spec(marks.path), { provider, home: home.path });
    const jobDir = job.record.jobDir;
    const controller = findControllerRecord(jobDir)!;
    process.kill(controller.pid!, 'SIGKILL');
    await waitFor(() => !isProcessAlive(controller.pid!, controller.startTicks), 'the controller gone');
    const sleeper = await waitFor(() => {
      const worker = findLocalState(jobDir)?.replicas.find((r) => r.name === 'worker-1');
      return existsSync(join(marks.path, 'first')) && worker?.state === 'RUNNING' && worker.pid;
    }, 'worker-1 sleeping');
    process.kill(sleeper, 'SIGTERM');
    await waitFor(() => findLocalState(jobDir)?.state === 'FAILED', 'attempt 1 ended');
    // Nobody restarts it while nobody looks: the controller is gone.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(findLocalState(jobDir)?.attempt).toBe(1);

    // `strato status` from three processes' worth of Job objects, at once.
    const statuses = await Promise.all(
      [0, 1, 2].map(async () => (await getJob(job.id, { provider, home: home.path })).status()),
    );
    for (const status of statuses) expect(status.state).not.toBe('FAILED');
    expect(readdirSync(join(jobDir, 'attempts'))).toEqual(['2']);
    const final = await job.wait({ pollIntervalMs: 50 });
    expect(final).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(final.restarts).toHaveLength(1);
    await expectNothingSurvives(jobDir);
    marks.remove();
  });
});
