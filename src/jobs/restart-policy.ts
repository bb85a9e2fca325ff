/**
 * The one restart rule, for every provider: given the facts a provider
 * reports about an ended attempt, how many restarts the job has used and
 * how many `scheduling.maxRestarts` allows, restart or not — and the one
 * sentence that says so. Pure: tested as a table, no processes, no cloud.
 *
 * Only a preemption is restarted (a replica killed by a signal or exiting
 * 143 / 42 on the local provider; a preempted or stocked-out CustomJob on
 * Vertex): the trainer resumes from `checkpoints/`. A program that failed by
 * itself would fail again.
 */

import type { AttemptOutcome } from '../providers/types.ts';

/** Whether to restart an ended attempt, and why. */
export interface RestartDecision {
  restart: boolean;
  /** Why, as a stable word: for code and tests. */
  reason: 'succeeded' | 'failed' | 'preempted' | 'restarts-disabled' | 'restarts-used';
  /** Why, as one line for people: the cause first, then what the lifecycle does about it. */
  message: string;
}

/**
 * The one restart rule: only a preemption is restarted, while
 * `restartsUsed` < `maxRestarts`; everything else ends the job.
 */
export function decideRestart(
  outcome: AttemptOutcome,
  restartsUsed: number,
  maxRestarts: number,
): RestartDecision {
  if (outcome.kind === 'succeeded') return { restart: false, reason: 'succeeded', message: 'succeeded' };
  if (!outcome.preempted) return { restart: false, reason: 'failed', message: outcome.cause };
  if (maxRestarts <= 0) {
    return {
      restart: false,
      reason: 'restarts-disabled',
      message: `${outcome.cause} (a preemption; scheduling.maxRestarts is 0, so the job is not restarted)`,
    };
  }
  if (restartsUsed >= maxRestarts) {
    return {
      restart: false,
      reason: 'restarts-used',
      message: `${outcome.cause} (a preemption; all ${maxRestarts} restart${maxRestarts === 1 ? '' : 's'} of scheduling.maxRestarts used)`,
    };
  }
  return {
    restart: true,
    reason: 'preempted',
    message: `${outcome.cause} (a preemption); restarting as attempt ${restartsUsed + 2} of ${maxRestarts + 1}`,
  };
}
