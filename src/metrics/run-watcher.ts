/**
 * Finds the event files of a run and reads what each gained since the last
 * poll. A poll costs one listing plus one ranged read per file that grew.
 *
 * The target is an event file, or a folder: a run dir's `logs/` when it has
 * event files there (the run dir convention: `model/`, `checkpoints/`,
 * `logs/`), else the folder itself. A file's run is its folder relative to
 * that base (`train`, `validation`; `''` at the top).
 */

import { posix } from 'node:path';
import { listAll, type ObjectInfo } from '../storage/types.ts';
import { EventFileTail, type EventFileTailOptions } from './event-file-tail.ts';
import type { MetricsSource } from './target.ts';
import type { MetricEvent, MetricsWarning } from './types.ts';

export interface RunMetricsWatcherOptions extends EventFileTailOptions {
  /** Read once, not followed: a failed listing is left in `listingError` for the caller to throw, not warned about. */
  once?: boolean;
}

/** TensorFlow names event files `events.out.tfevents.*`; TensorBoard reads any file whose name contains this. */
const EVENT_FILE_MARK = 'tfevents';

type Layout = { kind: 'file' } | { kind: 'folder'; base: string };

const isEventFile = (key: string) => posix.basename(key).includes(EVENT_FILE_MARK);
const prefixOf = (key: string) => (key === '' ? '' : `${key}/`);

export class RunMetricsWatcher {
  private layout: Layout | undefined;
  private readonly tails = new Map<string, EventFileTail>();
  private listingFailed = false;
  /** Why the last listing failed (a missing bucket, storage unreachable); undefined after one that worked. */
  listingError: unknown;

  private readonly source: MetricsSource;
  private readonly options: RunMetricsWatcherOptions;

  constructor(source: MetricsSource, options: RunMetricsWatcherOptions = {}) {
    this.source = source;
    this.options = options;
  }

  /** Event files found so far. */
  get fileCount(): number {
    return this.tails.size;
  }

  /** Reads what every event file gained since the last poll, in batches. Never throws for a bad file. */
  async *poll(): AsyncGenerator<MetricEvent[]> {
    const files = await this.discover();
    for (const file of files) {
      if (this.options.signal?.aborted) return;
      const tail = this.tailOf(file.key);
      try {
        yield* tail.read(file.size);
      } catch (error) {
        tail.reportReadFailure(error);
      }
    }
  }

  /** For one-shot reads: report files that are empty or end inside a record. */
  reportEndOfInput(): void {
    for (const tail of this.tails.values()) tail.reportEndOfInput();
  }

  private tailOf(key: string): EventFileTail {
    let tail = this.tails.get(key);
    if (!tail) {
      const base = this.layout?.kind === 'folder' ? this.layout.base : undefined;
      const relative = base === undefined ? '' : key.slice(prefixOf(base).length);
      const run = relative.includes('/') ? relative.slice(0, relative.lastIndexOf('/')) : '';
      tail = new EventFileTail(this.source.store, key, this.source.display(key), run, this.options);
      this.tails.set(key, tail);
    }
    return tail;
  }

  /** The event files and their sizes now; decides the layout on the first poll that finds any. */
  private async discover(): Promise<ObjectInfo[]> {
    try {
      const files = await this.listEventFiles();
      this.listingFailed = false;
      this.listingError = undefined;
      return files;
    } catch (error) {
      this.listingError = error;
      // Read once (no follow): the caller throws it; there is no next poll to retry on.
      if (this.options.once) return [];
      if (!this.listingFailed) {
        this.listingFailed = true;
        const reason = error instanceof Error ? error.message : String(error);
        const file = this.source.display(this.source.key);
        this.options.onWarning?.({
          kind: 'read-failed',
          file,
          offset: 0,
          message: `${file}: listing failed (${reason}); retrying on the next poll`,
        } satisfies MetricsWarning);
      }
      return [];
    }
  }

  private async listEventFiles(): Promise<ObjectInfo[]> {
    const { store, key } = this.source;
    if (this.layout?.kind === 'file') {
      const info = await store.stat(key);
      return info ? [info] : [];
    }
    if (this.layout?.kind === 'folder') return this.listUnder(this.layout.base);
    const info = await store.stat(key);
    if (info) {
      this.layout = { kind: 'file' };
      return [info];
    }
    // One listing decides: were there two (logs/ first, then the folder), a
    // file appearing between them would lock in the wrong layout.
    const files = await this.listUnder(key);
    if (files.length === 0) return [];
    const logs = posix.join(key, 'logs');
    const inLogs = files.filter((file) => file.key.startsWith(prefixOf(logs)));
    this.layout = { kind: 'folder', base: inLogs.length > 0 ? logs : key };
    return inLogs.length > 0 ? inLogs : files;
  }

  private async listUnder(base: string): Promise<ObjectInfo[]> {
    const files: ObjectInfo[] = [];
    for await (const info of listAll(this.source.store, { prefix: prefixOf(base) })) {
      if (isEventFile(info.key)) files.push(info);
    }
    return files.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
}
