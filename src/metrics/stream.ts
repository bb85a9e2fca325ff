/**
 * One stream of training metrics: every scalar of every event file of a run,
 * read once or followed as the trainer writes.
 */

import { stat } from 'node:fs/promises';
import { StratoError } from '../errors.ts';
import { sleep } from '../internal/sleep.ts';
import type { StoreOptions } from '../storage/open.ts';
import type { ObjectStore } from '../storage/types.ts';
import { type DecodePool, sharedDecodePool } from './decode-pool.ts';
import { RunMetricsWatcher } from './run-watcher.ts';
import { openMetricsSource } from './target.ts';
import type { MetricEvent, MetricsWarning } from './types.ts';

/**
 * Between polls when following. TensorBoard reloads every 5 s; a shorter
 * interval costs little, as a poll reads only new bytes.
 */
export const DEFAULT_POLL_INTERVAL_MS = 2000;

/** How `followRunMetrics` reads and follows a run dir. */
export interface FollowRunMetricsOptions {
  /** Keep polling for new events until `signal` aborts (default: read what is there and end). */
  follow?: boolean;
  /** Between polls when following; default 2000. */
  pollIntervalMs?: number;
  /** Ends the stream (following or not) at the next chance; the iterator then returns quietly. */
  signal?: AbortSignal;
  /** The store holding the target; default: a file store for paths and file://, else opened from the URI. */
  store?: ObjectStore;
  /** Options for opening gs:// and s3:// stores; `baseDir` for relative paths (default: cwd). */
  storeOptions?: StoreOptions;
  /**
   * Problems with event files (corrupt records, truncated files, unknown
   * fields…), each kind reported once per file. They never end the stream.
   */
  onWarning?: (warning: MetricsWarning) => void;
  /** Largest record accepted, in bytes (default 64 MiB). */
  maxRecordBytes?: number;
  /**
   * Worker threads that decode large backlogs (a file with 16 MiB or more
   * unread). Default: the process's shared pool (one thread per core, at
   * most 4, started on first need, stopped after 30 s idle); `false`
   * decodes everything on the calling thread.
   */
  decodePool?: DecodePool | false;
}

/**
 * The scalars under `target`: a run dir (its `logs/` folder when it has one),
 * any folder of event files, or one event file; a local path or a URI.
 * Without `follow`, reads what is there and ends; with it, polls until
 * `signal` aborts (or the consumer stops iterating).
 *
 * Throws E_NOT_FOUND when a local target does not exist (and `follow` is
 * off); a URI that names nothing just yields nothing.
 */
export function followRunMetrics(
  target: string,
  options: FollowRunMetricsOptions = {},
): AsyncIterableIterator<MetricEvent> {
  return flattenBatches(followRunMetricBatches(target, options));
}

/** `followRunMetrics` in the batches the reader produces: for consumers that count every microsecond. */
export async function* followRunMetricBatches(
  target: string,
  options: FollowRunMetricsOptions = {},
): AsyncGenerator<MetricEvent[]> {
  const source = await openMetricsSource(target, options);
  const decodePool = options.decodePool === false ? undefined : (options.decodePool ?? sharedDecodePool());
  const watcher = new RunMetricsWatcher(source, {
    ...(options.onWarning ? { onWarning: options.onWarning } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.maxRecordBytes ? { maxRecordBytes: options.maxRecordBytes } : {}),
    ...(decodePool ? { decodePool } : {}),
    ...(options.follow ? {} : { once: true }),
  });
  try {
    if (!options.follow && source.store.scheme === 'file' && !(await localPathExists(`/${source.key}`))) {
      throw new StratoError('E_NOT_FOUND', `${source.display(source.key)} does not exist`, {
        hint: 'give a run dir, a folder of TensorBoard event files, or one event file',
      });
    }
    for (;;) {
      yield* watcher.poll();
      if (!options.follow && watcher.listingError !== undefined)
        throw listingFailure(watcher.listingError, source);
      if (!options.follow) {
        if (!options.signal?.aborted) watcher.reportEndOfInput();
        return;
      }
      if (!(await pause(options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS, options.signal))) return;
    }
  } finally {
    if (source.owned) await source.store.close?.();
  }
}

/** A read-once listing that failed: the store's own error when it says what is wrong, else a transient one. */
function listingFailure(error: unknown, source: Awaited<ReturnType<typeof openMetricsSource>>): StratoError {
  if (error instanceof StratoError) return error;
  const where = source.display(source.key);
  return new StratoError(
    'E_TRANSIENT',
    `cannot list ${where}: ${error instanceof Error ? error.message : String(error)}`,
    {
      cause: error,
      hint: 'check that the bucket exists and the storage endpoint answers, then run again (or use --follow to keep trying)',
    },
  );
}

/**
 * One item at a time from an iterator of batches. Hand-written rather than an
 * async generator's `yield*`: a plain `next()` costs about a third as much per
 * item, which is most of the per-event cost of a fast reader.
 */
function flattenBatches<T>(batches: AsyncGenerator<T[]>): AsyncIterableIterator<T> {
  let batch: T[] = [];
  let index = 0;
  const iterator: AsyncIterableIterator<T> = {
    async next(): Promise<IteratorResult<T>> {
      while (index >= batch.length) {
        const result = await batches.next();
        if (result.done) return { done: true, value: undefined };
        batch = result.value;
        index = 0;
      }
      return { done: false, value: batch[index++]! };
    },
    async return(): Promise<IteratorResult<T>> {
      batch = [];
      index = 0;
      await batches.return(undefined);
      return { done: true, value: undefined };
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}

async function localPathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** Waits `ms`; false when `signal` aborted first. */
async function pause(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  if (signal?.aborted) return false;
  try {
    await sleep(ms, signal);
    return true;
  } catch (error) {
    if (signal?.aborted) return false;
    throw error;
  }
}
