/**
 * The one watch loop: `watchJobs(jobs)` refreshes the jobs every tick — one
 * batched status call per provider (`refreshJobs`), each answer reconciled
 * by the lifecycle — and yields them, until every job has ended or the
 * signal aborts. `Job.events`, `Job.wait`, `strato watch`, each job's
 * controller and the polling benchmark all read jobs through it. Ticks are cheap where asking costs:
 * the provider paces its own service calls (Vertex answers from its last
 * read until the next one is due), so the interval here is how soon a
 * change is noticed at most, not how often the cloud is asked.
 */

import { sleep } from '../internal/sleep.ts';
import { isTerminalState } from '../providers/types.ts';
import { contextOf, type JobsOptions } from './context.ts';
import { type RefreshedJob, refreshJobs } from './refresh.ts';
import type { JobRecord } from './store.ts';

/** Between two ticks unless told otherwise. */
export const DEFAULT_WATCH_INTERVAL_MS = 250;

/** How `watchJobs` follows its jobs. */
export interface WatchJobsOptions extends JobsOptions {
  intervalMs?: number;
  /** Stops watching (not the jobs) at the next tick or during the pause between ticks. */
  signal?: AbortSignal;
  /** Set by a job's own controller: it starts attempts even though a controller (itself) is alive. */
  asController?: boolean;
}

/** What one tick of `watchJobs` yields. */
export interface WatchTick {
  at: Date;
  /** Every watched job, in the order given, as refreshed on this tick. */
  jobs: RefreshedJob[];
}

/** Ticks until every job has ended (the last tick shows them all ended) or the signal aborts. */
export async function* watchJobs(
  jobs: readonly (string | JobRecord)[],
  options: WatchJobsOptions = {},
): AsyncGenerator<WatchTick> {
  const { store } = contextOf(options);
  let records = jobs.map((job) => (typeof job === 'string' ? store.getJob(job) : job));
  const intervalMs = options.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS;
  for (;;) {
    if (options.signal?.aborted) return;
    const refreshed = await refreshJobs(records, { ...options, store });
    records = refreshed.map((r) => r.record);
    yield { at: new Date(), jobs: refreshed };
    if (records.every((r) => isTerminalState(r.state))) return;
    try {
      await sleep(intervalMs, options.signal);
    } catch {
      return;
    }
  }
}
