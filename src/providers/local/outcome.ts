/**
 * When a replica group has ended, and how: the job lifecycle rules as a pure
 * function of the replicas' exits, so they are tested without processes.
 *
 * - The group SUCCEEDS once every `must-succeed` replica has exited 0 (the
 *   chief, or worker 0 without a chief; for multi-worker every worker). Then
 *   `runs-until-end` replicas (parameter servers, coordinated workers, the
 *   evaluator) are stopped.
 * - A replica that ends any other way, by itself, ends the group: PREEMPTED
 *   when killed by a signal or exiting 143 / 42, FAILED otherwise.
 * - A `runs-until-end` replica exiting 0 early is fine.
 */

import type { ExitPolicy } from '../../strategies/plan.ts';

/**
 * Exit codes of TF's PreemptionCheckpointHandler after saving on a
 * preemption notice: 143 (128 + SIGTERM) on Google Compute Engine, 42
 * elsewhere (tensorflow/python/distribute/failure_handling/failure_handling.py,
 * `_RESTART_CODE`-style exit in `TerminationConfig` defaults and gce_util).
 */
export const PREEMPTION_EXIT_CODES: ReadonlySet<number> = new Set([143, 42]);

/** Exit code for "the program could not be started", as shells use it. */
export const COMMAND_NOT_FOUND_EXIT_CODE = 127;

export interface ReplicaExit {
  name: string;
  exitPolicy: ExitPolicy;
  /** Undefined while it runs (or for replicas that run nothing). */
  exit?: { code: number | null; signal: NodeJS.Signals | null; stoppedByUs: boolean };
  /** Hosts that run nothing of the job (TPU runtime only) never decide anything. */
  runsProgram: boolean;
}

export type GroupOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; replica: string; code: number | null; signal: NodeJS.Signals | null }
  | { kind: 'preempted'; replica: string; code: number | null; signal: NodeJS.Signals | null };

export function isPreemption(code: number | null, signal: NodeJS.Signals | null): boolean {
  return signal !== null || (code !== null && PREEMPTION_EXIT_CODES.has(code));
}

/** The outcome once it is decided; undefined while the group should keep running. */
export function decideOutcome(replicas: readonly ReplicaExit[]): GroupOutcome | undefined {
  const programs = replicas.filter((r) => r.runsProgram);
  for (const replica of programs) {
    const exit = replica.exit;
    if (!exit || exit.stoppedByUs) continue;
    if (exit.code === 0 && exit.signal === null) continue;
    const kind = isPreemption(exit.code, exit.signal) ? 'preempted' : 'failed';
    return { kind, replica: replica.name, code: exit.code, signal: exit.signal };
  }
  const required = programs.filter((r) => r.exitPolicy === 'must-succeed');
  // A plan of side-cars only (nothing must succeed) is done when all of them are.
  const deciding = required.length > 0 ? required : programs;
  if (deciding.length > 0 && deciding.every((r) => r.exit?.code === 0)) return { kind: 'succeeded' };
  return undefined;
}
