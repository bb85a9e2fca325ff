/**
 * A Strato job on Vertex, over its attempts: submit the first, read the
 * current one (read-only, with the facts of how it ended), submit a later
 * one when the job lifecycle says so, cancel. Every step is safe to repeat
 * from any process: attempts are found by their labels, so two processes
 * starting the same attempt submit one CustomJob, not two.
 */

import { StratoError } from '../../errors.ts';
import type { RetryPolicy } from '../../internal/retry.ts';
import type { ClusterPlan } from '../../strategies/plan.ts';
import type { AttemptOutcome } from '../types.ts';
import type { CustomJobView, VertexApi } from './api.ts';
import { type RenderOptions, renderCustomJob } from './custom-job.ts';
import { explainVertexState, isRestartableFailure, isVertexTerminal, shortState } from './job-state.ts';
import { bodyForAttempt, currentAttempt, type VertexAttempt, type VertexJobRecord } from './record.ts';
import { submitCustomJob } from './submit.ts';

export interface VertexJobStatus {
  jobId: string;
  /** `queued`, `pending`, `running`, `cancelling`, `succeeded`, `failed`, `cancelled`… (the Vertex state, short). */
  state: string;
  vertexState: string;
  /** The current attempt has ended (the lifecycle may still start another). */
  done: boolean;
  /** One line: what it is doing, or why it is not running. */
  detail: string;
  attempt: number;
  attempts: VertexAttempt[];
  error?: string;
  outcome?: AttemptOutcome;
  customJob: string;
  runDir: string;
  startedAt?: string;
  endedAt?: string;
}

export async function submitVertexJob(
  api: VertexApi,
  plan: ClusterPlan,
  options: RenderOptions & { retry?: RetryPolicy; now?: () => Date },
): Promise<VertexJobRecord> {
  const body = renderCustomJob(plan, { ...options, attempt: 1 });
  const job = await submitCustomJob(api, body, options.retry);
  return {
    provider: 'vertex',
    jobId: options.jobId,
    project: api.project,
    region: api.region,
    runDir: plan.runDir.root,
    body,
    attempts: [
      {
        attempt: 1,
        customJob: job.name,
        submittedAt: (job.createTime ?? options.now?.() ?? new Date()).toISOString(),
        state: job.state,
      },
    ],
  };
}

function statusOf(record: VertexJobRecord, view: CustomJobView, now: Date): VertexJobStatus {
  const attempt = currentAttempt(record);
  const status: VertexJobStatus = {
    jobId: record.jobId,
    state: shortState(view.state),
    vertexState: view.state,
    done: isVertexTerminal(view.state),
    detail: explainVertexState(view, now, record.body.jobSpec.scheduling.strategy),
    attempt: attempt.attempt,
    attempts: record.attempts.map((a) => ({ ...a })),
    customJob: attempt.customJob,
    runDir: record.runDir,
  };
  if (view.error && view.state !== 'JOB_STATE_SUCCEEDED') status.error = view.error.message;
  const outcome = outcomeOf(view);
  if (outcome) status.outcome = outcome;
  if (view.startTime) status.startedAt = view.startTime.toISOString();
  if (view.endTime) status.endedAt = view.endTime.toISOString();
  return status;
}

/** Facts about the attempt `view` shows, once it has ended by itself; undefined while it runs or when cancelled. */
export function outcomeOf(view: CustomJobView): AttemptOutcome | undefined {
  if (view.state === 'JOB_STATE_SUCCEEDED' || view.state === 'JOB_STATE_PARTIALLY_SUCCEEDED') {
    return { kind: 'succeeded' };
  }
  if (view.state !== 'JOB_STATE_FAILED' && view.state !== 'JOB_STATE_EXPIRED') return undefined;
  const cause = view.error?.message ?? `the CustomJob ended ${shortState(view.state)}`;
  const replica = /The replica (workerpool\d+-\d+)/.exec(cause)?.[1];
  return { kind: 'failed', preempted: isRestartableFailure(view), cause, ...(replica ? { replica } : {}) };
}

/**
 * The job's status from `view`, its current attempt's CustomJob (read by
 * the caller, possibly in one ListCustomJobs for many jobs). Read-only:
 * neither the record nor the service changes.
 */
export function readVertexJob(
  record: VertexJobRecord,
  view: CustomJobView,
  now: Date = new Date(),
): VertexJobStatus {
  const attempt = currentAttempt(record);
  if (view.name !== attempt.customJob) {
    throw new StratoError('E_INTERNAL', `${view.name} is not the current attempt of ${record.jobId}`);
  }
  return statusOf(record, view, now);
}

/** Reads the current attempt (one job; see `watch.ts` for many). */
export async function refreshVertexJob(
  api: VertexApi,
  record: VertexJobRecord,
  now: Date = new Date(),
): Promise<VertexJobStatus> {
  return readVertexJob(record, await api.get(currentAttempt(record).customJob), now);
}

/**
 * Submits attempt `attempt` (the same CustomJob with the next attempt label
 * and display name; the trainer resumes from `checkpoints/`) and returns
 * the record with it. Idempotent: a record that already has the attempt is
 * returned as is, and the CustomJob is found by its labels when another
 * process submitted it first.
 */
export async function startVertexAttempt(
  api: VertexApi,
  record: VertexJobRecord,
  attempt: number,
  reason: string,
  options: { now?: Date; retry?: RetryPolicy } = {},
): Promise<VertexJobRecord> {
  if (currentAttempt(record).attempt >= attempt) return record;
  const job = await submitCustomJob(api, bodyForAttempt(record, attempt), options.retry);
  const attempts = record.attempts.map((a) => ({ ...a }));
  attempts.at(-1)!.restartReason = reason;
  attempts.push({
    attempt,
    customJob: job.name,
    submittedAt: (job.createTime ?? options.now ?? new Date()).toISOString(),
    state: job.state,
  });
  return { ...record, attempts };
}

/**
 * Cancels the current attempt. Cancelling a job that has ended, or that no
 * longer exists, is a quiet no-op.
 */
export async function cancelVertexJob(api: VertexApi, record: VertexJobRecord): Promise<void> {
  const name = currentAttempt(record).customJob;
  try {
    const view = await api.get(name);
    if (isVertexTerminal(view.state)) return;
    await api.cancel(name);
  } catch (error) {
    if (error instanceof StratoError && (error.code === 'E_NOT_FOUND' || isEndedRace(error))) return;
    throw error;
  }
}

/** The job ended between our read and our cancel: the service answers FAILED_PRECONDITION. */
function isEndedRace(error: StratoError): boolean {
  return error.code === 'E_INVALID_REQUEST' && /cannot be cancelled|in state JOB_STATE_/i.test(error.message);
}
