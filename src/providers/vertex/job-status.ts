/**
 * A Vertex job's status in the provider interface's terms. Vertex reports
 * the job, not its replicas, so replicas are listed per worker pool with the
 * job's state; a failure names the replica the service's message names.
 */

import type { JobState, JobStatus, ReplicaState, ReplicaStatus } from '../types.ts';
import type { VertexJobStatus } from './jobs.ts';
import type { VertexJobRecord } from './record.ts';

const POOL_ROLES = ['chief', 'worker', 'ps', 'evaluator'] as const;

export function jobStateOf(vertexState: string): JobState {
  switch (vertexState) {
    case 'JOB_STATE_RUNNING':
    case 'JOB_STATE_CANCELLING':
    case 'JOB_STATE_UPDATING':
      return 'RUNNING';
    case 'JOB_STATE_SUCCEEDED':
    case 'JOB_STATE_PARTIALLY_SUCCEEDED':
      return 'SUCCEEDED';
    case 'JOB_STATE_FAILED':
    case 'JOB_STATE_EXPIRED':
      return 'FAILED';
    case 'JOB_STATE_CANCELLED':
      return 'CANCELLED';
    default:
      return 'QUEUED';
  }
}

function replicaStateOf(state: JobState): ReplicaState {
  switch (state) {
    case 'QUEUED':
      return 'PENDING';
    case 'RUNNING':
      return 'RUNNING';
    case 'SUCCEEDED':
      return 'SUCCEEDED';
    default:
      return 'STOPPED';
  }
}

/** `workerpool1-0`, as the service names replicas. */
function poolReplicas(record: VertexJobRecord, state: JobState): ReplicaStatus[] {
  const replicaState = replicaStateOf(state);
  return record.body.jobSpec.workerPoolSpecs.flatMap((pool, poolIndex) =>
    Array.from({ length: pool.replicaCount ?? 0 }, (_, index) => ({
      name: `workerpool${poolIndex}-${index}`,
      role: POOL_ROLES[poolIndex] ?? 'worker',
      index,
      state: replicaState,
    })),
  );
}

export function toJobStatus(record: VertexJobRecord, status: VertexJobStatus): JobStatus {
  const state = jobStateOf(status.vertexState);
  const replicas = poolReplicas(record, state);
  const failedReplica = /The replica (workerpool\d+-\d+)/.exec(status.error ?? '')?.[1];
  if (failedReplica && state === 'FAILED') {
    for (const replica of replicas) if (replica.name === failedReplica) replica.state = 'FAILED';
  }
  const out: JobStatus = {
    state,
    replicas,
    attempt: status.attempt,
    restarts: record.attempts.slice(1).map((attempt, i) => ({
      attempt: attempt.attempt,
      at: attempt.submittedAt,
      reason: record.attempts[i]!.restartReason ?? 'restarted',
    })),
    message: `${status.detail} (CustomJob ${status.customJob})`,
  };
  if (status.outcome) out.outcome = status.outcome;
  if (status.startedAt) out.startedAt = status.startedAt;
  if (status.endedAt) out.endedAt = status.endedAt;
  if (status.error && (state === 'FAILED' || state === 'CANCELLED')) {
    out.error = { message: status.error, ...(failedReplica ? { replica: failedReplica } : {}) };
  }
  return out;
}
