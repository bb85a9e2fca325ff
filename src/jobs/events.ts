/**
 * Job events: what changed between two status snapshots, so callers can
 * `for await (const ev of job.events())` instead of diffing themselves.
 */

import type { JobState, JobStatus, ReplicaState, ReplicaStatus, RestartRecord } from '../providers/types.ts';

export type JobEvent =
  | { type: 'state'; state: JobState; previous?: JobState; message?: string }
  | { type: 'replica'; replica: ReplicaStatus; previous?: ReplicaState }
  | { type: 'restart'; restart: RestartRecord }
  /** The last event: the job has ended. */
  | { type: 'ended'; status: JobStatus };

export function statusEvents(previous: JobStatus | undefined, next: JobStatus): JobEvent[] {
  const events: JobEvent[] = [];
  for (const restart of next.restarts.slice(previous?.restarts.length ?? 0)) {
    events.push({ type: 'restart', restart });
  }
  const before = new Map(previous?.replicas.map((r) => [r.name, r]));
  for (const replica of next.replicas) {
    const old = before.get(replica.name);
    if (!old || old.state !== replica.state || old.pid !== replica.pid) {
      events.push({ type: 'replica', replica, ...(old ? { previous: old.state } : {}) });
    }
  }
  if (!previous || previous.state !== next.state) {
    events.push({
      type: 'state',
      state: next.state,
      ...(previous ? { previous: previous.state } : {}),
      ...(next.message ? { message: next.message } : {}),
    });
  }
  return events;
}
