/**
 * The per-job controller's guarantees, on the local provider: the job lock
 * keeps a live holder and takes over a dead one's; however many processes
 * reconcile the same preempted attempt at once, one next attempt starts;
 * nothing starts after a cancel.
 */

import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findControllerRecord, reconcileJob } from '../../../src/jobs/controller.ts';
import { runController } from '../../../src/jobs/controller-loop.ts';
import { tryLockJob } from '../../../src/jobs/job-lock.ts';
import { createJobStore } from '../../../src/jobs/store.ts';
import { submit } from '../../../src/jobs/submit.ts';
import { createLocalProvider } from '../../../src/providers/local/index.ts';
import { isProcessAlive, processStartTicks } from '../../../src/providers/local/proc.ts';
import { expectNothingSurvives, shellSpec, tempDir, waitFor } from '../../support/local.ts';

const home = tempDir('strato-controller-');
afterAll(() => home.remove());
const provider = createLocalProvider({ graceMs: 1000, pollIntervalMs: 50 });
const store = createJobStore(home.path);

/** A pid that no process has any more. */
function deadPid(): number {
  return spawnSync('true').pid!;
}

describe('the job lock', () => {
  it('is exclusive while its holder lives, and released for the next one', () => {
    const dir = tempDir('strato-lock-');
    const first = tryLockJob(dir.path);
    expect(first).toBeDefined();
    expect(tryLockJob(dir.path)).toBeUndefined();
    first!.release();
    const second = tryLockJob(dir.path);
    expect(second).toBeDefined();
    second!.release();
    dir.remove();
  });

  it('is taken over from a holder that died, and from a reused pid with another start time', () => {
    const dir = tempDir('strato-lock-');
    writeFileSync(join(dir.path, 'controller.lock'), JSON.stringify({ pid: deadPid() }));
    const afterDeath = tryLockJob(dir.path);
    expect(afterDeath).toBeDefined();
    afterDeath!.release();
    const ticks = processStartTicks(process.pid)!;
    writeFileSync(
      join(dir.path, 'controller.lock'),
      JSON.stringify({ pid: process.pid, startTicks: ticks - 1 }),
    );
    const afterReuse = tryLockJob(dir.path);
    expect(afterReuse).toBeDefined();
    afterReuse!.release();
    writeFileSync(join(dir.path, 'controller.lock'), JSON.stringify({ pid: process.pid, startTicks: ticks }));
    expect(tryLockJob(dir.path)).toBeUndefined();
    dir.remove();
  });
});

/** Exits 143 (TensorFlow's preemption exit) on the first attempt, succeeds on the next. */
function preemptedOnceSpec(marks: string) {
  const script = 'if [ ! -e "$MARKS/first" ]; then touch "$MARKS/first"; exit 143; fi; echo second attempt';
  return shellSpec(script, {
    strategy: 'one-device',
    resources: {},
    container: { command: ['sh', '-c', script], env: { MARKS: marks } },
    scheduling: { maxRestarts: 2 },
  });
}

/** Submits, then SIGKILLs the job's controller before it can act (it is still loading). */
async function submitWithoutController(marks: string) {
  const job = await submit(preemptedOnceSpec(marks), { provider, home: home.path });
  const controller = findControllerRecord(job.record.jobDir);
  expect(controller?.pid).toBeGreaterThan(0);
  process.kill(controller!.pid!, 'SIGKILL');
  await waitFor(() => !isProcessAlive(controller!.pid!, controller!.startTicks), 'the controller gone');
  // Attempt 1 has ended preempted, as the provider reports it (read-only).
  await waitFor(async () => (await provider.status(job.record.handle)).state === 'FAILED', 'attempt 1 ended');
  return job;
}

describe('reconcileJob', () => {
  it('starts one next attempt however many reconcilers see the same preemption at once', async () => {
    const marks = tempDir('strato-marks-');
    const job = await submitWithoutController(marks.path);
    const raw = await provider.status(job.record.handle);
    expect(raw.outcome).toMatchObject({ kind: 'failed', preempted: true, exitCode: 143 });

    const seen = await Promise.all(
      Array.from({ length: 4 }, () => reconcileJob(store.getJob(job.id), provider, store)),
    );
    // Every reconciler shows the job still running (restarting), none shows it FAILED.
    for (const { status } of seen) expect(status.state).not.toBe('FAILED');
    expect(readdirSync(join(job.record.jobDir, 'attempts'))).toEqual(['2']);

    const final = await job.wait({ pollIntervalMs: 50 });
    expect(final).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(final.restarts).toEqual([
      {
        attempt: 2,
        at: expect.any(String),
        reason: 'worker-0 exited with code 143 (a preemption); restarting as attempt 2 of 3',
      },
    ]);
    await expectNothingSurvives(job.record.jobDir);
    marks.remove();
  });

  it('takes over a start that its starter died in the middle of', async () => {
    const marks = tempDir('strato-marks-');
    const job = await submitWithoutController(marks.path);
    // A reconciler got as far as the attempt marker, then died (SIGKILL, power cut).
    mkdirSync(join(job.record.jobDir, 'attempts'));
    writeFileSync(join(job.record.jobDir, 'attempts', '2'), JSON.stringify({ pid: deadPid() }));
    await reconcileJob(store.getJob(job.id), provider, store);
    expect(await job.wait({ pollIntervalMs: 50 })).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    await expectNothingSurvives(job.record.jobDir);
    marks.remove();
  });

  it('starts nothing after a cancel, and the job reads CANCELLED', async () => {
    const marks = tempDir('strato-marks-');
    const job = await submitWithoutController(marks.path);
    const cancelled = await job.cancel('changed my mind');
    expect(cancelled.state).toBe('CANCELLED');
    expect(cancelled.message).toMatch(/changed my mind/);
    await reconcileJob(store.getJob(job.id), provider, store);
    expect(existsSync(join(job.record.jobDir, 'attempts'))).toBe(false);
    expect(store.getJob(job.id).state).toBe('CANCELLED');
    await expectNothingSurvives(job.record.jobDir);
    marks.remove();
  });
});

describe('runController', () => {
  it('ends when the job ends, and when the job record is removed under it', async () => {
    const done = await submit(shellSpec('true', { strategy: 'one-device', resources: {} }), {
      provider,
      home: home.path,
    });
    const final = await runController(done.id, provider, store, { tickMs: 20 });
    expect(final?.state).toBe('SUCCEEDED');

    const running = await submit(shellSpec('sleep 30', { strategy: 'one-device', resources: {} }), {
      provider,
      home: home.path,
    });
    const loop = runController(running.id, provider, store, { tickMs: 20 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    rmSync(join(running.record.jobDir, 'job.json'));
    await expect(loop).resolves.toBeDefined();
    await provider.cancel(running.record.handle);
    await expectNothingSurvives(running.record.jobDir);
  });
});
