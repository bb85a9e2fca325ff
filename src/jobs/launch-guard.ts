/**
 * The launch of a job on machines, guarded. A machine provider's `submit`
 * creates VMs or slices over several service calls; until the job's record
 * is saved, nothing in Strato knows the job exists. A submitter killed in
 * that window (SIGKILL, a closed terminal) would leave machines running —
 * and billing — that no command can see.
 *
 * So for providers with `abandon`, the job's controller starts first (stdin
 * a pipe from the submitter), the provider hands over the handle of what it
 * is about to create (`onPrepared`, kept in `prepared.json`) before its first
 * create call, and the controller waits here for one of three endings:
 * - the record is saved: the launch is done, the controller goes on as usual;
 * - the job folder is removed: `submit` failed and cleaned up after itself;
 * - the pipe closes with no record: the submitter died mid-launch, and the
 *   controller abandons what it had begun (deletes the job's machines, looked
 *   up by job, again after a pause for creates that were in flight), then
 *   removes the folder: nothing of the job is left.
 */

import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findJson, writeJsonAtomic } from '../internal/atomic-json.ts';
import { sleep } from '../internal/sleep.ts';
import type { JobHandle, Provider } from '../providers/types.ts';
import type { JobStore } from './store.ts';

const preparedFile = (jobDir: string) => join(jobDir, 'prepared.json');

/** What the submitter keeps of `onPrepared`. */
export function keepPreparedHandle(jobDir: string, handle: JobHandle): void {
  writeJsonAtomic(preparedFile(jobDir), handle);
}

/** Once the record is saved, the prepared handle has no more use. */
export function dropPreparedHandle(jobDir: string): void {
  rmSync(preparedFile(jobDir), { force: true });
}

export type LaunchEnding = 'launched' | 'withdrawn' | 'abandoned' | 'stopped';

export interface LaunchGuardOptions {
  /** Resolves when the submitter's pipe closes (it exited, or was killed). */
  submitterGone: Promise<void>;
  /** Ends the wait (SIGTERM to the controller): 'stopped'. An abandon under way is finished first. */
  signal?: AbortSignal;
  /** How often the record and the folder are looked at. */
  pollMs?: number;
  /** The pause before the second sweep, for creates the service was still accepting. */
  secondSweepMs?: number;
  /** Between failed abandon calls (the service did not answer). */
  retryMs?: number;
  /** Give up abandoning after this long (the folder and `prepared.json` stay, for a human). */
  givesUpMs?: number;
  log?: (line: string) => void;
}

/** Waits for the launch of `jobId` to end one way or another; abandons it when its submitter died. */
export async function guardLaunch(
  jobDir: string,
  jobId: string,
  provider: Provider,
  store: JobStore,
  options: LaunchGuardOptions,
): Promise<LaunchEnding> {
  let gone = false;
  void options.submitterGone.then(() => {
    gone = true;
  });
  for (;;) {
    // Read `gone` first: a submitter saves the record before it exits, so a record looked for after
    // the pipe closed is there if it ever will be.
    const goneBefore = gone;
    if (store.findJob(jobId)) return 'launched';
    if (!existsSync(jobDir)) return 'withdrawn';
    if (goneBefore) break;
    if (options.signal?.aborted) return 'stopped';
    await Promise.race([sleep(options.pollMs ?? 100), options.submitterGone]);
  }
  await abandonLaunch(jobDir, provider, options);
  return 'abandoned';
}

async function abandonLaunch(jobDir: string, provider: Provider, options: LaunchGuardOptions): Promise<void> {
  const log = options.log ?? (() => {});
  const handle = findJson<JobHandle>(preparedFile(jobDir));
  if (handle && provider.abandon) {
    log('the submitter exited before the job was recorded: deleting what its launch created');
    const deadline = Date.now() + (options.givesUpMs ?? 15 * 60_000);
    for (const pauseMs of [0, options.secondSweepMs ?? 5_000]) {
      await sleep(pauseMs);
      for (;;) {
        try {
          await provider.abandon(handle);
          break;
        } catch (error) {
          log(`deleting failed: ${(error as Error).message}`);
          // Someone removed the folder: they took the job's clean-up out of Strato's hands.
          if (!existsSync(jobDir)) return;
          if (Date.now() > deadline) {
            log(`giving up; the job's machines may remain (its handle: ${preparedFile(jobDir)})`);
            return;
          }
          await sleep(options.retryMs ?? 5_000);
        }
      }
    }
  }
  rmSync(jobDir, { recursive: true, force: true });
}
