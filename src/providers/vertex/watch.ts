/**
 * Watching many Vertex jobs gently: per tick, one ListCustomJobs per
 * project and region — filtered to Strato's jobs created since the oldest
 * watched attempt — instead of one GetCustomJob per job; the next tick
 * comes sooner when a job has just changed state and later while jobs wait
 * in the queue (`nextPollDelayMs`).
 */

import { sleep as defaultSleep } from '../../internal/sleep.ts';
import type { CustomJobView, VertexApi } from './api.ts';
import { LABEL_JOB_ID } from './custom-job.ts';
import { nextPollDelayMs } from './job-state.ts';
import { advanceVertexJob, type VertexJobStatus } from './jobs.ts';
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

/** One tick: reads every record's current attempt and advances it (restarting preempted ones). */
export async function pollVertexJobs(
  apiFor: ApiFor,
  records: readonly VertexJobRecord[],
  now: () => Date = () => new Date(),
): Promise<VertexJobStatus[]> {
  const views = await readCurrentAttempts(apiFor, records);
  const statuses: VertexJobStatus[] = [];
  for (const record of records) {
    const view = views.get(currentAttempt(record).customJob)!;
    const api = await apiFor(record.project, record.region);
    statuses.push(await advanceVertexJob(api, record, view, now()));
  }
  return statuses;
}

export interface WatchOptions {
  /** Called with every status that differs from the last one seen for its job. */
  onStatus(status: VertexJobStatus): void | Promise<void>;
  /** Called after each tick with every record (e.g. to persist new attempts). */
  onTick?(records: readonly VertexJobRecord[]): void | Promise<void>;
  signal?: AbortSignal;
  /** Multiplies every poll interval (tests use a small one). */
  scale?: number;
  now?: () => Date;
  sleep?: (ms: number) => Promise<void>;
}

function changed(a: VertexJobStatus | undefined, b: VertexJobStatus): boolean {
  return !a || a.vertexState !== b.vertexState || a.attempt !== b.attempt || a.error !== b.error;
}

/** Polls until every job is done (or the signal aborts); returns the final statuses. */
export async function watchVertexJobs(
  apiFor: ApiFor,
  records: readonly VertexJobRecord[],
  options: WatchOptions,
): Promise<VertexJobStatus[]> {
  const now = options.now ?? (() => new Date());
  const sleep = options.sleep ?? defaultSleep;
  const last = new Map<string, VertexJobStatus>();
  const stateSince = new Map<string, number>();
  for (;;) {
    const statuses = await pollVertexJobs(apiFor, records, now);
    for (const status of statuses) {
      if (changed(last.get(status.jobId), status)) {
        stateSince.set(status.jobId, now().getTime());
        await options.onStatus(status);
      }
      last.set(status.jobId, status);
    }
    await options.onTick?.(records);
    const delays = statuses.flatMap((s) => {
      const delay = nextPollDelayMs(
        s.vertexState,
        now().getTime() - (stateSince.get(s.jobId) ?? 0),
        options.scale,
      );
      return delay === undefined ? [] : [delay];
    });
    if (delays.length === 0 || options.signal?.aborted) return statuses;
    await sleep(Math.min(...delays));
    if (options.signal?.aborted) return statuses;
  }
}
