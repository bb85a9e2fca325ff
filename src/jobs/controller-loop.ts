/**
 * What a job's detached controller does all its life: watch its one job
 * through the lifecycle's one watch loop (`watchJobs`), as the job's
 * controller — so a preempted attempt is followed by the next one with no
 * one else looking — until the job has ended or the signal aborts.
 */

import type { JobStatus, Provider } from '../providers/types.ts';
import type { JobStore } from './store.ts';
import { watchJobs } from './watch.ts';

/** Between two looks of the controller at its job; the provider paces its own service calls on top. */
export const CONTROLLER_TICK_MS = 250;
/**
 * A controller that cannot read its job for this long (the service or the
 * network is down, or the machine was asleep) ends; whoever reads the job
 * next reconciles it, as after any controller's death.
 */
export const CONTROLLER_GIVES_UP_MS = 15 * 60_000;

/** Returns the job's last status (undefined when its record is gone). */
export async function runController(
  jobId: string,
  provider: Provider,
  store: JobStore,
  options: { signal?: AbortSignal; tickMs?: number; givesUpMs?: number; onTick?(): void } = {},
): Promise<JobStatus | undefined> {
  const record = store.findJob(jobId);
  if (!record) return undefined;
  const stop = new AbortController();
  const onAbort = () => stop.abort();
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) stop.abort();
  let last: JobStatus | undefined;
  let failingSince: number | undefined;
  try {
    for await (const tick of watchJobs([record], {
      provider,
      store,
      asController: true,
      intervalMs: options.tickMs ?? CONTROLLER_TICK_MS,
      signal: stop.signal,
    })) {
      options.onTick?.();
      const [job] = tick.jobs;
      // The job folder was removed: nothing is left to look after.
      if (!store.findJob(jobId)) stop.abort();
      if (job?.problem) {
        // A failed read is not the job ending: the next tick looks again, for a while.
        process.stderr.write(`strato controller: ${jobId}: ${job.problem}\n`);
        failingSince ??= tick.at.getTime();
        if (tick.at.getTime() - failingSince > (options.givesUpMs ?? CONTROLLER_GIVES_UP_MS)) stop.abort();
      } else failingSince = undefined;
      last = job?.record.status ?? last;
    }
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
  }
  return last;
}
