/**
 * The provider interface: where replicas run. A provider only turns a
 * compiled cluster plan into running replicas, reports facts about them and
 * carries out what the job lifecycle (`src/jobs`) decides; strategy rules
 * stay in the compiler, the restart rule (`src/jobs/restart-policy.ts`), the
 * job store and the per-job controller in `src/jobs`. One object per
 * provider implements this (see `registry.ts`).
 *
 * Contracts every provider keeps (tested once for all of them from the shared
 * table in `test/unit/providers/contract.test.ts`):
 * - `submit` returns a handle as soon as the job is accepted, before it runs:
 *   the first `status` may well say QUEUED. It starts attempt 1.
 * - `status` and `statusMany` are read-only: they never start, restart or
 *   stop anything and never change the handle (the local provider's one
 *   exception: a job whose supervisor is dead is ended on disk and its
 *   leftover processes killed, so it never reads RUNNING forever). They
 *   report the current attempt; once it has ended by itself, `outcome` holds
 *   the facts (succeeded; failed, and whether by a preemption) — the
 *   lifecycle, not the provider, decides whether a restart follows.
 * - `status` of a job the provider has never heard of throws a StratoError
 *   with code `E_NOT_FOUND`. A job whose runner vanished (a dead supervisor,
 *   a deleted cloud job) is reported as FAILED with a message saying so —
 *   never as RUNNING forever.
 * - `startAttempt(handle, n, reason)` starts attempt `n` of an ended job and
 *   returns the handle to store. It is idempotent: asking again for attempt
 *   `n` — after a lost answer, or from another process holding a handle from
 *   before it — yields the one attempt `n` (Vertex finds it by its labels;
 *   the local provider by the attempt number in the job folder). Only the
 *   lifecycle calls it, under the job's lock (`src/jobs/job-lock.ts`), which
 *   keeps two processes from asking at the very same moment: a cloud API
 *   without a request id cannot tell two simultaneous creates apart.
 * - `cancel` is idempotent: cancelling a finished, cancelled or vanished job
 *   is a quiet no-op. It resolves once the job has ended (or, for a cloud
 *   job, once the cloud has accepted the cancellation).
 * - `logs` yields what the replicas printed so far, oldest first (lines of
 *   several replicas interleaved by time where they carry one); with
 *   `follow` it keeps yielding until the job ends (or the signal aborts),
 *   then ends.
 * - A handle is plain JSON: any later process can pass it back in.
 * - `release` (providers that hold machines: `gce`, `tpu-vm`) deletes every
 *   machine of a job that has ended for good; idempotent, and `status` still
 *   answers the job's last state afterwards. The lifecycle calls it once the
 *   job is terminal (no restart follows), from whichever process sees it first.
 */

import type { ProviderName } from '../spec/schema.ts';
import type { ClusterPlan, CompileContext } from '../strategies/plan.ts';
import type { ProviderCapabilities } from './capabilities.ts';

/** QUEUED: accepted, not yet running. The last three are terminal. */
export type JobState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

export const TERMINAL_JOB_STATES: ReadonlySet<JobState> = new Set(['SUCCEEDED', 'FAILED', 'CANCELLED']);

/** True for SUCCEEDED, FAILED and CANCELLED: a job in one of them never changes again. */
export function isTerminalState(state: JobState): boolean {
  return TERMINAL_JOB_STATES.has(state);
}

/**
 * PENDING: not started yet. IDLE: a host that runs nothing of the job (TPU
 * runtime only). STOPPED: ended because the job ended (or was cancelled),
 * not by itself. SUCCEEDED / FAILED: exited by itself with 0 / otherwise.
 */
export type ReplicaState = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'STOPPED' | 'IDLE';

/** One replica of the current attempt. */
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

/**
 * Facts about an attempt that ended by itself, as the provider saw them.
 * `preempted`: the machines went away, not the program (a replica killed by
 * a signal or exiting 143 / 42 locally; a preempted or stocked-out
 * CustomJob on Vertex). `cause` is one line naming what ended, e.g.
 * `worker-1 was killed by SIGTERM`.
 */
export type AttemptOutcome =
  | { kind: 'succeeded' }
  | {
      kind: 'failed';
      preempted: boolean;
      cause: string;
      replica?: string;
      exitCode?: number;
      signal?: string;
    };

/** A job as its provider sees it now: state, replicas, attempts, and how the last attempt ended. */
export interface JobStatus {
  state: JobState;
  replicas: ReplicaStatus[];
  /** 1 for the first run, 2 after the first restart, … */
  attempt: number;
  restarts: RestartRecord[];
  /** Set when the job FAILED (and for CANCELLED, who or what cancelled it). */
  error?: JobError;
  /** How the current attempt ended by itself; absent while it runs and when it was cancelled. */
  outcome?: AttemptOutcome;
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
  /**
   * A provider that creates machines calls this once, before its first
   * create call, with the handle of what it is about to create: the
   * lifecycle keeps it, so a submitter killed in the middle of `submit`
   * leaves no machine behind (the job's controller `abandon`s them).
   */
  onPrepared?(handle: JobHandle): void;
}

/** One line a replica printed. */
export interface LogLine {
  replica: string;
  text: string;
  /** When it was written (RFC 3339), where the provider knows (Vertex: Cloud Logging's timestamp). */
  time?: string;
}

/** Which log lines to read, and whether to follow them. */
export interface LogOptions {
  /** Only this replica's lines (`worker-1`). */
  replica?: string;
  /** Keep yielding new lines until the job ends. */
  follow?: boolean;
  /** Only lines written at or after this time (providers whose lines carry a `time`). */
  since?: Date;
  /** Only the last N lines so far (of the job; per replica where lines carry no time), then, with `follow`, every new one. */
  tail?: number;
  signal?: AbortSignal;
  pollIntervalMs?: number;
}

/**
 * Where replicas run. A provider turns a plan into running replicas,
 * reports facts about them (read-only `status`), and starts the next attempt
 * when the lifecycle (`src/jobs`) says so. Every provider passes the same
 * contract table (test/unit/providers/contract.test.ts).
 */
export interface Provider {
  readonly name: ProviderName;
  readonly capabilities: ProviderCapabilities;
  /**
   * What the compiler needs from this provider before `submit`: how replica
   * addresses look (the local provider hands out free loopback ports).
   * Without it the compiler's cloud default (`<job>-<role>-<i>:2222`) applies.
   */
  planContext?(jobId: string, replicaCount: number): Promise<Pick<CompileContext, 'addressOf'>>;
  /** Starts the job (attempt 1); returns before it runs. */
  submit(plan: ClusterPlan, context: SubmitContext): Promise<JobHandle>;
  /**
   * The current attempt's status. Read-only; paced by the provider where
   * asking the service costs (Vertex answers from its last read until the
   * next read is due), so callers may ask as often as they like.
   */
  status(handle: JobHandle): Promise<JobStatus>;
  /**
   * Statuses of many jobs at once, in the order of `handles`, with as few
   * service calls as the provider can make (Vertex: one ListCustomJobs per
   * project and region, not one GetCustomJob per job). Read-only and paced
   * like `status`. Optional: without it, callers ask `status` job by job.
   */
  statusMany?(handles: readonly JobHandle[]): Promise<JobStatus[]>;
  /**
   * Starts attempt `attempt` (2 for the first restart) of a job whose
   * current attempt has ended; `reason` is recorded in the status's
   * `restarts`. Idempotent (see above). Returns the handle to store.
   */
  startAttempt(handle: JobHandle, attempt: number, reason: string): Promise<JobHandle>;
  /**
   * Plain JSON that `loadProvider(name, { [name]: options })` turns into an
   * equivalent provider in another process: how the job's detached
   * controller gets the provider the job was submitted with.
   */
  reattachOptions(): Record<string, unknown>;
  logs(handle: JobHandle, options?: LogOptions): AsyncIterable<LogLine>;
  /** Ends the job; a no-op when it has already ended or vanished. */
  cancel(handle: JobHandle, reason?: string): Promise<void>;
  /**
   * Frees what a job that has ended for good still holds (its machines, all
   * attempts). Idempotent; `status` keeps answering its final state. Optional:
   * providers whose jobs hold nothing after they end leave it out.
   */
  release?(handle: JobHandle): Promise<void>;
  /**
   * Deletes whatever a `submit` that never returned created, from the handle
   * it gave `onPrepared` (no attempt may be recorded in it). Idempotent.
   * Providers that call `onPrepared` have it.
   */
  abandon?(handle: JobHandle): Promise<void>;
}
