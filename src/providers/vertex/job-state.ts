/**
 * Reading a CustomJob's state: whether it has ended, whether an ending is
 * one a restart can fix (preemption, stockout), and the one line that says
 * why a job is not running yet, from its state and how long it has been in it.
 * (https://cloud.google.com/vertex-ai/docs/training/understanding-training-service,
 * google/cloud/aiplatform/v1/job_state.proto)
 */

import { GrpcCode } from '../../internal/google-status.ts';
import type { CustomJobView } from './api.ts';

export const VERTEX_TERMINAL_STATES: ReadonlySet<string> = new Set([
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
  'JOB_STATE_PARTIALLY_SUCCEEDED',
]);

export function isVertexTerminal(state: string): boolean {
  return VERTEX_TERMINAL_STATES.has(state);
}

/** `JOB_STATE_RUNNING` → `running`. */
export function shortState(state: string): string {
  return state.replace(/^JOB_STATE_/, '').toLowerCase();
}

/** Errors whose wording says the machines went away, not the program. */
const RESTARTABLE_MESSAGE = /preempt|stockout|resources are insufficient|reclaimed|maintenance/i;
/**
 * A replica that exited 143 or 42 saved a checkpoint on SIGTERM and stopped:
 * TensorFlow's PreemptionCheckpointHandler exit codes (143 on Compute Engine,
 * 42 elsewhere), which the reference trainer uses too.
 */
const PREEMPTED_EXIT = /non-zero status of (143|42)\b|terminated by signal SIG(TERM|KILL)/;

/**
 * A failure a resubmission can fix: the machines were preempted or were not
 * there (stockout), as opposed to the program failing. Cancellation never is.
 */
export function isRestartableFailure(job: CustomJobView): boolean {
  if (job.state !== 'JOB_STATE_FAILED' || !job.error) return false;
  const { code, message } = job.error;
  if (RESTARTABLE_MESSAGE.test(message) || PREEMPTED_EXIT.test(message)) return true;
  return code === GrpcCode.UNAVAILABLE || code === GrpcCode.ABORTED;
}

export function formatAge(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 90) return `${seconds}s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return `${hours}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Queued longer than this is no longer the usual short scheduling wait. */
const LONG_QUEUE_MS = 2 * 60_000;
/** Provisioning usually takes a few minutes; past this, capacity or a big image is the likely cause. */
const LONG_PENDING_MS = 10 * 60_000;

/** One line for `strato status`: what the job is doing and, when it is not running, why. */
export function explainVertexState(job: CustomJobView, now: Date, strategy?: string): string {
  const since = job.updateTime ?? job.createTime;
  const age = since ? formatAge(now.getTime() - since.getTime()) : '?';
  const spot = strategy === 'SPOT' || strategy === 'FLEX_START';
  switch (job.state) {
    case 'JOB_STATE_QUEUED':
      return now.getTime() - (since?.getTime() ?? now.getTime()) < LONG_QUEUE_MS
        ? `queued for ${age}: Vertex AI is scheduling it`
        : `queued for ${age}: waiting for custom-training quota${spot ? ' or free Spot / flex-start capacity' : ''} in the region (raise the quota, or try another region)`;
    case 'JOB_STATE_PENDING':
      return now.getTime() - (since?.getTime() ?? now.getTime()) < LONG_PENDING_MS
        ? `pending for ${age}: provisioning machines and pulling the image`
        : `pending for ${age}: provisioning is slow — the accelerators may be scarce in the region, or the image is large`;
    case 'JOB_STATE_RUNNING':
      return `running for ${age}`;
    case 'JOB_STATE_CANCELLING':
      return `cancelling for ${age}: stopping the replicas`;
    case 'JOB_STATE_SUCCEEDED':
      return `succeeded ${age} ago`;
    case 'JOB_STATE_CANCELLED':
      return `cancelled ${age} ago`;
    case 'JOB_STATE_FAILED':
      return `failed ${age} ago: ${job.error?.message ?? 'no error message'}`;
    default:
      return `${shortState(job.state)} for ${age}`;
  }
}

/**
 * How long to wait before the next look at a job: slow while it waits in
 * the queue, quicker right after it changed state (a job just running may
 * crash at once; a pending one is about to run), never for an ended job.
 * `scale` multiplies every interval (tests use a small one).
 */
export function nextPollDelayMs(state: string, msInState: number, scale = 1): number | undefined {
  if (isVertexTerminal(state)) return undefined;
  const fresh = msInState < 60_000;
  let ms: number;
  switch (state) {
    case 'JOB_STATE_QUEUED':
      ms = fresh ? 10_000 : msInState < 10 * 60_000 ? 30_000 : 60_000;
      break;
    case 'JOB_STATE_PENDING':
      ms = fresh ? 5_000 : msInState < 10 * 60_000 ? 15_000 : 30_000;
      break;
    case 'JOB_STATE_RUNNING':
      ms = fresh ? 5_000 : 30_000;
      break;
    case 'JOB_STATE_CANCELLING':
      ms = 2_000;
      break;
    default:
      ms = 10_000;
  }
  return ms * scale;
}
