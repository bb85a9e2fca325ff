/**
 * Reading many Vertex jobs gently: one ListCustomJobs per project and
 * region — filtered to Strato's jobs created since the oldest watched
 * attempt — instead of one GetCustomJob per job. Read-only. The loop that
 * calls this is the lifecycle's one `watchJobs` (`src/jobs/watch.ts`), paced
 * by the provider (`nextPollDelayMs`).
 */

import type { CustomJobView, VertexApi } from './api.ts';
import { LABEL_JOB_ID } from './custom-job.ts';
import { readVertexJob, type VertexJobStatus } from './jobs.ts';
import { currentAttempt, type VertexJobRecord } from './record.ts';

export type ApiFor = (project: string, region: string) => Promise<VertexApi>;

/** Slack on the create-time bound, for clock differences between this machine and the service. */
const CREATE_TIME_SLACK_MS = 5 * 60_000;

/** The filter that returns, in one call, every Strato job at least as new as `since`. */
export function watchFilter(since: Date): string {
  return `labels.${LABEL_JOB_ID}:* AND create_time>="${new Date(since.getTime() - CREATE_TIME_SLACK_MS).toISOString()}"`;
}

function groupByLocation(records: readonly VertexJobRecord[]): Map<string, VertexJobRecord[]> {
  const groups = new Map<string, VertexJobRecord[]>();
  for (const record of records) {
    const key = `${record.project}/${record.region}`;
    groups.set(key, [...(groups.get(key) ?? []), record]);
  }
  return groups;
}

/** The current attempt of each record, keyed by CustomJob name; jobs the list missed are read one by one. */
export async function readCurrentAttempts(
  apiFor: ApiFor,
  records: readonly VertexJobRecord[],
): Promise<Map<string, CustomJobView>> {
  const views = new Map<string, CustomJobView>();
  for (const group of groupByLocation(records).values()) {
    const api = await apiFor(group[0]!.project, group[0]!.region);
    const oldest = Math.min(...group.map((r) => Date.parse(currentAttempt(r).submittedAt)));
    for (const view of await api.list(watchFilter(new Date(oldest)))) views.set(view.name, view);
    for (const record of group) {
      const name = currentAttempt(record).customJob;
      if (!views.has(name)) views.set(name, await api.get(name));
    }
  }
  return views;
}

/** Reads every record's current attempt: one ListCustomJobs per project and region. */
export async function pollVertexJobs(
  apiFor: ApiFor,
  records: readonly VertexJobRecord[],
  now: () => Date = () => new Date(),
): Promise<VertexJobStatus[]> {
  const views = await readCurrentAttempts(apiFor, records);
  return records.map((record) => readVertexJob(record, views.get(currentAttempt(record).customJob)!, now()));
}
