/**
 * A submitted job, as the SDK hands it out: `const job = await submit(spec);
 * for await (const ev of job.events()) …; await job.wait()`. Any process can
 * get one back for a job id (`getJob`), since everything it knows lives in
 * the job store and the provider.
 */

import { type FollowRunMetricsOptions, followRunMetrics } from '../metrics/stream.ts';
import type { MetricEvent } from '../metrics/types.ts';
import {
  isTerminalState,
  type JobStatus,
  type LogLine,
  type LogOptions,
  type Provider,
} from '../providers/types.ts';
import { cancelJob, reconcileJob } from './controller.ts';
import { type JobEvent, statusEvents } from './events.ts';
import type { JobRecord, JobStore } from './store.ts';
import { DEFAULT_WATCH_INTERVAL_MS, watchJobs } from './watch.ts';

/** Between status polls of `events()` and `wait()`. */
export const DEFAULT_STATUS_POLL_MS = DEFAULT_WATCH_INTERVAL_MS;

/** How `Job.events` and `Job.wait` follow a job. */
export interface WatchOptions {
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

/**
 * A submitted job: its record, and how to follow it (`status`, `events`,
 * `logs`, `metrics`, `wait`) or stop it (`cancel`). Get one from `submit`,
 * or later, in any process, from `getJob(id)`.
 */
export class Job {
  #record: JobRecord;
  readonly #provider: Provider;
  readonly #store: JobStore;

  constructor(record: JobRecord, provider: Provider, store: JobStore) {
    this.#record = record;
    this.#provider = provider;
    this.#store = store;
  }

  get id(): string {
    return this.#record.id;
  }
  get name(): string {
    return this.#record.name;
  }
  /** The run dir URI (`model/`, `checkpoints/`, `logs/`). */
  get runDir(): string {
    return this.#record.runDir;
  }
  /** The stored record as last read or refreshed. */
  get record(): JobRecord {
    return this.#record;
  }

  /**
   * Asks the provider, stores the answer and returns it — reconciled by the
   * lifecycle: a preempted job whose controller is gone is restarted here.
   */
  async status(): Promise<JobStatus> {
    // The stored record, not ours: the job's controller may have started another attempt since.
    const stored = this.#store.findJob(this.#record.id) ?? this.#record;
    const { record, status } = await reconcileJob(stored, this.#provider, this.#store);
    this.#record = record;
    return status;
  }

  /** State changes, replica changes and restarts as they happen; ends with `ended`. */
  async *events(options: WatchOptions = {}): AsyncGenerator<JobEvent> {
    let previous: JobStatus | undefined;
    for await (const status of this.#statuses(options)) {
      yield* statusEvents(previous, status);
      previous = status;
    }
    if (previous && isTerminalState(previous.state)) yield { type: 'ended', status: previous };
  }

  /** What the replicas print; with `follow`, until the job ends. */
  logs(options: LogOptions = {}): AsyncIterable<LogLine> {
    return this.#provider.logs(this.#record.handle, options);
  }

  /** Training metrics from the run dir's TensorBoard event files. */
  metrics(options: Omit<FollowRunMetricsOptions, 'store'> = {}): AsyncIterable<MetricEvent> {
    return followRunMetrics(this.#record.runDir, options);
  }

  /**
   * Stops the job, its controller included, and no attempt starts after it;
   * a no-op once it has ended. Resolves when it has ended.
   */
  async cancel(reason?: string): Promise<JobStatus> {
    this.#record = await cancelJob(this.#record, this.#provider, this.#store, {
      ...(reason !== undefined ? { reason } : {}),
    });
    return this.status();
  }

  /** Resolves with the final status once the job has ended. */
  async wait(options: WatchOptions = {}): Promise<JobStatus> {
    let last: JobStatus | undefined;
    for await (const status of this.#statuses(options)) last = status;
    return last ?? this.status();
  }

  /** Every status of this job from the one watch loop, until it has ended or the signal aborts. */
  async *#statuses(options: WatchOptions): AsyncGenerator<JobStatus> {
    const ticks = watchJobs([this.#record], {
      provider: this.#provider,
      store: this.#store,
      ...(options.pollIntervalMs !== undefined ? { intervalMs: options.pollIntervalMs } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    for await (const tick of ticks) {
      const [job] = tick.jobs;
      if (job?.error !== undefined) throw job.error;
      this.#record = job!.record;
      // A record that had ended before we looked carries its last status; one that never got one is asked.
      yield job!.record.status ?? (await this.status());
    }
  }
}
