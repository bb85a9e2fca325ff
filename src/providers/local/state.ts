/**
 * The local provider's live record of one job, `<job dir>/supervisor.json`:
 * written only by the current attempt's supervisor while it lives (once it
 * is dead, by whoever notices; between attempts, by `startAttempt`), read by
 * any process for `status`.
 */

import { join } from 'node:path';
import { findJson, writeJsonAtomic } from '../../internal/atomic-json.ts';
import type { ClusterPlan } from '../../strategies/plan.ts';
import type {
  AttemptOutcome,
  JobError,
  JobState,
  JobStatus,
  ReplicaStatus,
  RestartRecord,
} from '../types.ts';

export interface LocalReplicaRecord extends ReplicaStatus {
  /** Process group of the replica (its own pid: it leads the group). */
  pgid?: number;
  /** /proc start time of `pid`, to tell it from a later process with the same pid. */
  startTicks?: number;
}

export interface LocalJobState {
  version: 1;
  jobId: string;
  state: JobState;
  attempt: number;
  restarts: RestartRecord[];
  replicas: LocalReplicaRecord[];
  supervisor: { pid?: number; startTicks?: number; watchdogPid?: number };
  error?: JobError;
  /** How the attempt ended by itself (facts only; the lifecycle decides what follows). */
  outcome?: AttemptOutcome;
  message?: string;
  createdAt: string;
  startedAt?: string;
  endedAt?: string;
  updatedAt: string;
}

/** What the supervisor needs to run the job, written by `submit` next to the state. */
export interface LaunchSpec {
  jobId: string;
  plan: ClusterPlan;
  /** Working directory of the replicas (the spec's `workingDir`, resolved). */
  cwd: string;
  docker: boolean;
  graceMs: number;
  /** The supervisor cancels the job when its stdin (a pipe from the submitter) closes. */
  stopWhenCallerExits: boolean;
}

export const jobFiles = (jobDir: string) => ({
  state: join(jobDir, 'supervisor.json'),
  launch: join(jobDir, 'launch.json'),
  supervisorLog: join(jobDir, 'supervisor.log'),
  cancelMarker: join(jobDir, 'cancel-requested'),
  /** One empty file per attempt started after the first, created exclusively: `attempts/2`. */
  attemptMarker: (attempt: number) => join(jobDir, 'attempts', String(attempt)),
  logs: join(jobDir, 'logs'),
  replicaLog: (replica: string) => join(jobDir, 'logs', `${replica}.log`),
});

export function findLocalState(jobDir: string): LocalJobState | undefined {
  return findJson<LocalJobState>(jobFiles(jobDir).state);
}

export function writeLocalState(jobDir: string, state: LocalJobState): void {
  writeJsonAtomic(jobFiles(jobDir).state, state);
}

export function initialLocalState(jobId: string, plan: ClusterPlan, now: Date): LocalJobState {
  return {
    version: 1,
    jobId,
    state: 'QUEUED',
    attempt: 1,
    restarts: [],
    replicas: plan.replicas.map((r) => ({
      name: r.name,
      role: r.role,
      index: r.index,
      state: r.runsProgram ? 'PENDING' : 'IDLE',
    })),
    supervisor: {},
    message: 'starting the supervisor',
    createdAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
}

export function toJobStatus(state: LocalJobState): JobStatus {
  return {
    state: state.state,
    replicas: state.replicas.map(({ pgid: _pgid, startTicks: _ticks, ...status }) => status),
    attempt: state.attempt,
    restarts: state.restarts,
    ...(state.error ? { error: state.error } : {}),
    ...(state.outcome ? { outcome: state.outcome } : {}),
    ...(state.message ? { message: state.message } : {}),
    ...(state.startedAt ? { startedAt: state.startedAt } : {}),
    ...(state.endedAt ? { endedAt: state.endedAt } : {}),
  };
}
