/**
 * A submitted job, as the SDK hands it out: `const job = await submit(spec);
 * for await (const ev of job.events()) …; await job.wait()`. Any process can
 * get one back for a job id (`getJob`), since everything it knows lives in
 * the job store and the provider.
 */

import { sleep } from '../internal/sleep.ts';
import { type FollowRunMetricsOptions, followRunMetrics } from '../metrics/stream.ts';
import type { MetricEvent } from '../metrics/types.ts';
import {
  isTerminalState,
  type JobStatus,
  type LogLine,
  type LogOptions,
  type Provider,
} from '../providers/types.ts';
import { type JobEvent, statusEvents } from './events.ts';
import type { JobRecord, JobStore } from './store.ts';

/** Between status polls of `events()` and `wait()`. */
export const DEFAULT_STATUS_POLL_MS = 250;

export interface WatchOptions {
  pollIntervalMs?: number;
  signal?: AbortSignal;
}

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

  /** Asks the provider, stores the answer and returns it. */
  async status(): Promise<JobStatus> {
    const status = await this.#provider.status(this.#record.handle);
    this.#record = this.#store.saveStatus(this.#record.id, status, undefined, this.#record.handle);
    return status;
  }

  /** State changes, replica changes and restarts as they happen; ends with `ended`. */
  async *events(options: WatchOptions = {}): AsyncGenerator<JobEvent> {
    let previous: JobStatus | undefined;
    for (;;) {
      const status = await this.status();
      yield* statusEvents(previous, status);
      previous = status;
      if (isTerminalState(status.state)) {
        yield { type: 'ended', status };
        return;
      }
      if (!(await pause(options.pollIntervalMs ?? DEFAULT_STATUS_POLL_MS, options.signal))) return;
    }
  }

  /** What the replicas print; with `follow`, until the job ends. */
  logs(options: LogOptions = {}): AsyncIterable<LogLine> {
    return this.#provider.logs(this.#record.handle, options);
  }

  /** Training metrics from the run dir's TensorBoard event files. */
  metrics(options: Omit<FollowRunMetricsOptions, 'store'> = {}): AsyncIterable<MetricEvent> {
    return followRunMetrics(this.#record.runDir, options);
  }

  /** Stops the job; a no-op once it has ended. Resolves when it has ended. */
  async cancel(reason?: string): Promise<JobStatus> {
    await this.#provider.cancel(this.#record.handle, reason);
    return this.status();
  }

  /** Resolves with the final status once the job has ended. */
  async wait(options: WatchOptions = {}): Promise<JobStatus> {
    for (;;) {
      const status = await this.status();
      if (isTerminalState(status.state)) return status;
      if (!(await pause(options.pollIntervalMs ?? DEFAULT_STATUS_POLL_MS, options.signal))) return status;
    }
  }
}

/** Waits `ms`; false when the signal aborted. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, signal);
    return true;
  } catch {
    return false;
  }
}
