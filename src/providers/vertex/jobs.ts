/**
 * A Strato job on Vertex, over its attempts: submit the first, read the
 * current one, resubmit after a preemption or stockout while restarts
 * remain (the trainer resumes from `checkpoints/`), cancel. Every step is
 * safe to repeat from any process: attempts are found by their labels, so
 * two observers of the same preemption submit one next attempt, not two.
 */

import { StratoError } from '../../errors.ts';
import type { RetryPolicy } from '../../internal/retry.ts';
import type { ClusterPlan } from '../../strategies/plan.ts';
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
  /** The job has ended for good (no restart follows). */
  done: boolean;
  /** One line: what it is doing, or why it is not running. */
  detail: string;
  attempt: number;
  attempts: VertexAttempt[];
  error?: string;
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
    maxRestarts: plan.scheduling.maxRestarts,
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
  if (view.startTime) status.startedAt = view.startTime.toISOString();
  if (view.endTime) status.endedAt = view.endTime.toISOString();
  return status;
}

/**
 * Brings the record up to date with `view` (the current attempt's CustomJob,
 * read by the caller — possibly in one ListCustomJobs for many jobs) and, if
 * the attempt ended restartably with restarts left, submits the next one.
 * Mutates and returns the record's status; the caller persists the record.
 */
export async function advanceVertexJob(
  api: VertexApi,
  record: VertexJobRecord,
  view: CustomJobView,
  now: Date = new Date(),
  retry?: RetryPolicy,
): Promise<VertexJobStatus> {
  let attempt = currentAttempt(record);
  if (view.name !== attempt.customJob) {
    throw new StratoError('E_INTERNAL', `${view.name} is not the current attempt of ${record.jobId}`);
  }
  let current = view;
  let restartedAfter: string | undefined;
  // A loop, not an if: with a stale record (another process restarted the job since) the next
  // attempt is found by its labels, and may itself have ended and been restarted.
  for (;;) {
    attempt.state = current.state;
    if (current.error) attempt.error = current.error;
    const restartsUsed = record.attempts.length - 1;
    if (!isRestartableFailure(current) || restartsUsed >= record.maxRestarts) break;
    attempt.restartReason = current.error?.message ?? 'preempted';
    restartedAfter = attempt.restartReason;
    const next = attempt.attempt + 1;
    current = await submitCustomJob(api, bodyForAttempt(record, next), retry);
    attempt = {
      attempt: next,
      customJob: current.name,
      submittedAt: (current.createTime ?? now).toISOString(),
    };
    record.attempts.push(attempt);
  }
  const status = statusOf(record, current, now);
  attempt.state = current.state;
  if (restartedAfter !== undefined && !status.done) {
    status.detail = `restarted as attempt ${attempt.attempt} of ${record.maxRestarts + 1} after: ${restartedAfter}`;
  }
  if (isRestartableFailure(current) && record.maxRestarts > 0) {
    status.detail = `${status.detail} (no restarts left: ${record.attempts.length - 1} of ${record.maxRestarts} used)`;
  }
  return status;
}

/** Reads the current attempt and advances the record (one job; see `watch.ts` for many). */
export async function refreshVertexJob(
  api: VertexApi,
  record: VertexJobRecord,
  now: Date = new Date(),
  retry?: RetryPolicy,
): Promise<VertexJobStatus> {
  const view = await api.get(currentAttempt(record).customJob);
  return advanceVertexJob(api, record, view, now, retry);
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
