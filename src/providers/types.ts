/**
 * The provider interface: where replicas run. A provider only turns a
 * compiled cluster plan into running replicas and reports on them; strategy
 * rules stay in the compiler, the job store and restarts-from-the-outside in
 * `src/jobs`. One object per provider implements this (see `registry.ts`).
 *
 * Contracts every provider keeps (tested once for all of them from the shared
 * table in `test/unit/providers/contract.test.ts`):
 * - `submit` returns a handle as soon as the job is accepted, before it runs:
 *   the first `status` may well say QUEUED.
 * - `status` of a job the provider has never heard of throws a StratoError
 *   with code `E_NOT_FOUND`. A job whose runner vanished (a dead supervisor,
 *   a deleted cloud job) is reported as FAILED with a message saying so —
 *   never as RUNNING forever.
 * - `cancel` is idempotent: cancelling a finished, cancelled or vanished job
 *   is a quiet no-op. It resolves once the job has ended (or, for a cloud
 *   job, once the cloud has accepted the cancellation).
 * - `logs` yields what the replicas printed so far; with `follow` it keeps
 *   yielding until the job ends (or the signal aborts), then ends.
 * - A handle is plain JSON: any later process can pass it back in.
 */

import type { ProviderName } from '../spec/schema.ts';
import type { ClusterPlan, CompileContext } from '../strategies/plan.ts';
import type { ProviderCapabilities } from './capabilities.ts';

/** QUEUED: accepted, not yet running. The last three are terminal. */
export type JobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

export function isTerminalState(state: JobState): boolean {
  return TERMINAL_JOB_STATES.has(state);
}

/**
 * PENDING: not started yet. IDLE: a host that runs nothing of the job (TPU
 * runtime only). STOPPED: ended because the job ended (or was cancelled),
 * not by itself. SUCCEEDED / FAILED: exited by itself with 0 / otherwise.
 */
export type ReplicaState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'IDLE';

export interface ReplicaStatus {
  /** `worker-1`, `chief-0`: as in the plan. */
  name: string;
  role: string;
  index: number;
  state: ReplicaState;
  exitCode?: number;
  /** Name of the signal that ended it, e.g. `SIGKILL`. */
  signal?: string;
  /** Local process id (local provider only). */
  pid?: number;
  startedAt?: string;
  endedAt?: string;
}

/** Why a job failed: which replica, how it ended and what it printed last. */
export interface JobError {
  message: string;
  replica?: string;
  exitCode?: number;
  signal?: string;
  /** The replica's last log lines, oldest first. */
  lastLines?: string[];
}

/** One restart of the whole job after a preemption. */
export interface RestartRecord {
  /** The attempt that started (2 for the first restart). */
  attempt: number;
  at: string;
  reason: string;
}

export interface JobStatus {
  state: JobState;
  replicas: ReplicaStatus[];
  /** 1 for the first run, 2 after the first restart, … */
  attempt: number;
  restarts: RestartRecord[];
  /** Set when the job FAILED (and for CANCELLED, who or what cancelled it). */
  error?: JobError;
  /** One line about where the job is, e.g. "waiting for 2 replicas to start". */
  message?: string;
  startedAt?: string;
  endedAt?: string;
}

/**
 * How to find a submitted job again. Plain JSON, stored in the job record.
 * `data` is the provider's own: the local job folder and supervisor pid, a
 * Vertex CustomJob resource name, …
 */
export interface JobHandle {
  provider: ProviderName;
  /** The Strato job id (`<name>-<random>`). */
  id: string;
  data: Record<string, unknown>;
}

export interface SubmitContext {
  /** The Strato job id, chosen by the job lifecycle before planning. */
  jobId: string;
  /** A folder the provider may keep files in (replica logs, supervisor state). Exists. */
  jobDir: string;
  /** The spec file's folder: the local provider resolves `workingDir` against it. */
  baseDir: string;
  /** Environment the submitter runs in (local replicas inherit it, less cluster variables). */
  env: NodeJS.ProcessEnv;
  /** Run replicas with `docker run` from the plan's image (local provider). */
  docker?: boolean;
  /**
   * The job lives only as long as the calling process: when it exits without
   * cancelling (even by SIGKILL), the provider cancels the job. `strato run`
   * sets this; `strato submit` and `run --detach` do not.
   */
  stopWhenCallerExits?: boolean;
}

export interface LogLine {
  replica: string;
  text: string;
}

export interface LogOptions {
  /** Only this replica's lines (`worker-1`). */
  replica?: string;
  /** Keep yielding new lines until the job ends. */
  follow?: boolean;
  signal?: AbortSignal;
  pollIntervalMs?: number;
}

export interface Provider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  /**
   * What the compiler needs from this provider before `submit`: how replica
   * addresses look (the local provider hands out free loopback ports).
   * Without it the compiler's cloud default (`<job>-<role>-<i>:2222`) applies.
   */
  planContext?(jobId: string, replicaCount: number): Promise<Pick<CompileContext, 'addressOf'>>;
  /** Starts the job; returns before it runs. */
  submit(plan: ClusterPlan, context: SubmitContext): Promise<JobHandle>;
  status(handle: JobHandle): Promise<JobStatus>;
  /**
   * Statuses of many jobs at once, in the order of `handles`, with as few
   * service calls as the provider can make (Vertex: one ListCustomJobs per
   * project and region, not one GetCustomJob per job). Optional: without it,
   * callers ask `status` job by job. A provider may update `handle.data`
   * (e.g. a restart's new attempt); callers store the handle back.
   */
  statusMany?(handles: readonly JobHandle[]): Promise<JobStatus[]>;
  logs(handle: JobHandle, options?: LogOptions): AsyncIterable<LogLine>;
  /** Ends the job; a no-op when it has already ended or vanished. */
  cancel(handle: JobHandle, reason?: string): Promise<void>;
}
