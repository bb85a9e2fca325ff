/**
 * What Vertex does with a replica's output: every line becomes a Cloud
 * Logging entry on the `ml_job` monitored resource, labelled with the
 * CustomJob id and the replica's task name (`workerpool0-0`), in the log
 * named after the task — the entries `gcloud ai custom-jobs stream-logs`
 * asks for (`resource.type="ml_job" AND resource.labels.job_id=… AND
 * resource.labels.task_name=…`, gcloud's command_lib/ai/log_util.py).
 *
 * The fake's replicas write to log files (the local provider's process
 * runner merges stdout and stderr there), so the forwarder follows those
 * files and hands each batch of new lines to a sink — the fake Cloud
 * Logging when the fake cloud runs both. A line is stamped with the time it
 * was read (at most one poll after it was written); stdout and stderr cannot
 * be told apart, so every line is INFO.
 */

import { LineFollower } from '../../providers/local/log-files.ts';

/** A Cloud Logging entry as entries:write takes it (REST shape). */
export interface ReplicaLogEntry {
  logName: string;
  resource: { type: 'ml_job'; labels: { project_id: string; job_id: string; task_name: string } };
  labels: Record<string, string>;
  severity: 'INFO';
  timestamp: string;
  textPayload: string;
}

/** Where forwarded entries go (`FakeLogging.write`). */
export type ReplicaLogSink = (entries: ReplicaLogEntry[]) => void;

/** How often the replicas' log files are read: the delay before a line reaches Cloud Logging. */
const FORWARD_EVERY_MS = 100;

export interface LogForwarder {
  /** Forwards what is left (the unfinished last lines too) and stops following. */
  stop(): void;
}

export function startLogForwarder(
  job: { id: string; name: string },
  replicas: readonly { name: string; logFile: string }[],
  sink: ReplicaLogSink,
): LogForwarder {
  // `projects/P/locations/L/customJobs/ID`: the project the entries are written to.
  const project = job.name.split('/')[1] ?? '';
  const followers = replicas.map((r) => ({ task: r.name, follower: new LineFollower(r.logFile) }));
  const forward = (flush: boolean) => {
    const timestamp = new Date().toISOString();
    const entries: ReplicaLogEntry[] = [];
    for (const { task, follower } of followers) {
      for (const text of follower.readNew(flush)) {
        entries.push({
          logName: `projects/${project}/logs/${encodeURIComponent(task)}`,
          resource: { type: 'ml_job', labels: { project_id: project, job_id: job.id, task_name: task } },
          labels: {},
          severity: 'INFO',
          timestamp,
          textPayload: text,
        });
      }
    }
    if (entries.length > 0) sink(entries);
  };
  const timer = setInterval(() => forward(false), FORWARD_EVERY_MS);
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      forward(true);
    },
  };
}
