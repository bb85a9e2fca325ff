/**
 * `scheduling.maxCostUsd`: the job is cancelled once its estimated spend
 * reaches the cap. The spend is the plan's list price per hour (stored in
 * the job record at submit, `JobRecord.cost`) × the running time of every
 * attempt: those that ended are summed in the record when the next attempt
 * starts (`endedAttemptsSec`), the current one is read from its status
 * (`startedAt` to `endedAt` or now). Queued time is not counted: no machine
 * is billed before it runs. The controller (`controller.ts`) checks it on
 * every reconcile, so it holds for a detached job too.
 */

import type { JobStatus } from '../providers/types.ts';
import { formatUsd } from './plan-cost.ts';
import type { JobCost, JobRecord } from './store.ts';

/** Seconds the status's attempt has run by `now` (0 before it started). */
export function attemptRunningSec(status: JobStatus, now: Date): number {
  if (!status.startedAt) return 0;
  const end = status.endedAt ? Date.parse(status.endedAt) : now.getTime();
  return Math.max(0, (end - Date.parse(status.startedAt)) / 1000);
}

/** USD spent by `now`, as estimated from list prices: every attempt's running time × the price per hour. */
export function estimatedSpendUsd(cost: JobCost, status: JobStatus, now: Date): number {
  return (cost.hourlyUsd * ((cost.endedAttemptsSec ?? 0) + attemptRunningSec(status, now))) / 3600;
}

/**
 * Why the job must be cancelled now, or undefined: it has a cap, has not
 * been stopped for it already, and its estimated spend has reached it.
 */
export function costCapReason(record: JobRecord, status: JobStatus, now: Date): string | undefined {
  const cost = record.cost;
  if (cost?.maxCostUsd === undefined || cost.capReached !== undefined) return undefined;
  const spend = estimatedSpendUsd(cost, status, now);
  if (spend < cost.maxCostUsd) return undefined;
  return `estimated spend ${formatUsd(spend)} reached the cap scheduling.maxCostUsd = ${cost.maxCostUsd}`;
}
