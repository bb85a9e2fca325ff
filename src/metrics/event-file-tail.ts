/**
 * Incremental reader of one event file on an object store. Each `read(size)`
 * fetches only the bytes appended since the last call (ranged reads from the
 * end of what was read), so a poll costs what was written, not the file size.
 *
 * - A record cut short at the end of what is there is kept and completed by a
 *   later read: the trainer is still writing it.
 * - A record failing its CRC or length check is reported once with its offset,
 *   and the file is skipped from there, as TensorBoard's readers do.
 * - Nothing about the file's content ever throws; store failures do (the
 *   watcher reports and retries them).
 */

import type { ObjectStore } from '../storage/types.ts';
import { createEventCodec, createEventReader, type EventCodec, type EventMessage } from './event-codec.ts';
import { scanRecords } from './record-scanner.ts';
import { ScalarExtractor } from './scalar-extractor.ts';
import { DEFAULT_MAX_RECORD_BYTES, RECORD_HEADER_BYTES } from './tfrecord.ts';
import type { MetricEvent, MetricsWarning, MetricsWarningKind } from './types.ts';

/**
 * Bytes per ranged read from a local file. Measured (bench/metrics/parse.ts):
 * 256–512 KiB parse ~1.5× faster than 2–4 MiB, as the buffers are reused
 * rather than freshly mapped and faulted in, and GC pressure from external
 * memory stays low.
 */
export const DEFAULT_FILE_CHUNK_BYTES = 512 * 1024;
/** Bytes per ranged read from a cloud store, where each read is an HTTP round trip. */
export const DEFAULT_CLOUD_CHUNK_BYTES = 8 * 1024 * 1024;
/**
 * Most events handed over at once (about 75 KB of Keras scalars). Small
 * batches die young in V8's nursery, and the event loop gets to run the
 * read-ahead's I/O steps between them; 1024 measured faster than 4096
 * (bench/metrics/parse.ts).
 */
const BATCH_EVENTS = 1024;

export interface EventFileTailOptions {
  /** Records longer than this are treated as corrupt (default 64 MiB). */
  maxRecordBytes?: number;
  /** Bytes per ranged read (default 512 KiB on file://, 8 MiB on cloud stores). */
  chunkBytes?: number;
  onWarning?: (warning: MetricsWarning) => void;
  signal?: AbortSignal;
}

export class EventFileTail {
  /** Offset just past the last complete, valid record. */
  private goodOffset = 0;
  /** Bytes read after `goodOffset` that do not yet make a whole record. */
  private pending: Buffer | undefined;
  /** Bytes from `goodOffset` that would complete the pending record. */
  private needBytes = 0;
  /** Offset of the corrupt record that stopped this file, once there is one. */
  private corruptAt: number | undefined;
  private extractor: ScalarExtractor;
  private readonly reported = new Set<MetricsWarningKind>();
  private readonly codec: EventCodec = createEventCodec();
  private readonly maxRecordBytes: number;
  private readonly chunkBytes: number;

  constructor(
    private readonly store: ObjectStore,
    readonly key: string,
    /** The file as shown to users: a local path or an object URI. */
    readonly file: string,
    readonly run: string,
    private readonly options: EventFileTailOptions = {},
  ) {
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.chunkBytes =
      options.chunkBytes ?? (store.scheme === 'file' ? DEFAULT_FILE_CHUNK_BYTES : DEFAULT_CLOUD_CHUNK_BYTES);
    this.extractor = this.newExtractor();
  }

  /** Offset up to which the file has been read and accepted. */
  get offset(): number {
    return this.goodOffset;
  }

  /** True once a corrupt record stopped this file. */
  get stopped(): boolean {
    return this.corruptAt !== undefined;
  }

  /**
   * Reads the bytes between what was read before and `size` (the size a
   * listing or stat reported), yielding the scalars of each chunk.
   */
  async *read(size: number): AsyncGenerator<MetricEvent[]> {
    if (this.corruptAt !== undefined) return;
    let readFrom = this.goodOffset + (this.pending?.length ?? 0);
    if (size < readFrom) {
      this.warn(
        'rewritten',
        0,
        `the file shrank from ${readFrom} to ${size} bytes, so it was replaced; reading it again from the start`,
      );
      this.goodOffset = 0;
      this.pending = undefined;
      this.needBytes = 0;
      this.extractor = this.newExtractor();
      readFrom = 0;
    }
    // The next chunk is fetched while this one is parsed, so the store's
    // latency (a disk read, an HTTP round trip) overlaps the CPU work.
    let ahead: Promise<Buffer> | undefined;
    const fetch = (start: number, bytes: number) => {
      const promise = this.store.read(this.key, { start, end: Math.min(size, start + bytes) });
      promise.catch(() => {}); // Observed by the await below, or dropped when the read stops early.
      return promise;
    };
    while (readFrom < size && !this.options.signal?.aborted) {
      const pendingBytes = this.pending?.length ?? 0;
      const data = await (ahead ?? fetch(readFrom, Math.max(this.chunkBytes, this.needBytes - pendingBytes)));
      ahead = undefined;
      this.reported.delete('read-failed');
      if (data.length === 0) break; // The object shrank between the listing and the read.
      readFrom += data.length;
      if (readFrom < size) ahead = fetch(readFrom, this.chunkBytes);
      let from = 0;
      // Complete a record cut by the previous chunk in a small buffer of its
      // own, rather than copying the whole new chunk behind it.
      while (this.pending && from < data.length) {
        const take = Math.min(data.length - from, this.needBytes - this.pending.length);
        const joined = Buffer.concat([this.pending, data.subarray(from, from + take)]);
        from += take;
        yield* this.scanChunk(joined, 0);
        if (this.corruptAt !== undefined) return;
      }
      if (from >= data.length) continue;
      for (const batch of this.scanChunk(data, from)) {
        yield batch;
        // Parsing is synchronous; let the event loop run the read ahead's I/O
        // steps between batches, or it would only start once the chunk is done.
        if (ahead) await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.corruptAt !== undefined) return;
    }
  }

  /**
   * For one-shot reads, once everything there was read: warns when the file
   * is empty or ends inside a record (a follower waits for those instead).
   */
  reportEndOfInput(): void {
    if (this.corruptAt !== undefined) return;
    if (this.pending) {
      this.warn(
        'truncated',
        this.goodOffset,
        `the file ends inside a record (${this.pending.length} of ${this.needBytes} bytes present; still being written?); read up to there`,
      );
    } else if (this.goodOffset === 0) {
      this.warn('empty', 0, 'the file is empty (no records yet)');
    }
  }

  /** Reports a store failure (listing or reading); the next poll retries. */
  reportReadFailure(error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    this.warn('read-failed', this.goodOffset, `reading failed (${reason}); retrying on the next poll`);
  }

  /**
   * Yields the scalars of the records in `buf` from index `from` (which is at
   * file offset `goodOffset`), in batches of about `BATCH_EVENTS`, and keeps
   * the incomplete tail.
   */
  private *scanChunk(buf: Buffer, from: number): Generator<MetricEvent[]> {
    const reader = createEventReader(buf);
    const base = this.goodOffset - from;
    // Until the chunk is done, the state says "read up to goodOffset": if the
    // consumer stops between batches, the next read resumes from there.
    this.pending = undefined;
    this.needBytes = 0;
    let events: MetricEvent[] = [];
    const onRecord = (start: number, end: number): boolean => {
      const offset = base + start - RECORD_HEADER_BYTES;
      reader.pos = start;
      reader.len = end;
      let event: EventMessage;
      try {
        event = this.codec.decode(reader);
      } catch (error) {
        this.warn(
          'undecodable',
          offset,
          `record is not a tensorflow.Event (${(error as Error).message}); skipped`,
        );
        return true;
      }
      this.extractor.extract(event, offset, events);
      return events.length < BATCH_EVENTS;
    };
    let scanned = from;
    for (;;) {
      const { consumed, stop } = scanRecords(buf, scanned, onRecord, this.maxRecordBytes);
      this.goodOffset = base + consumed;
      scanned = consumed;
      if (events.length > 0) {
        yield events;
        events = [];
      }
      if (stop.kind === 'paused') continue;
      if (stop.kind === 'corrupt') {
        this.corruptAt = this.goodOffset;
        this.warn('corrupt', this.goodOffset, `${stop.reason}; skipping the rest of this file`);
      } else if (stop.kind === 'partial') {
        // Copied so the rest of the chunk can be freed.
        this.pending = Buffer.from(buf.subarray(consumed));
        this.needBytes = stop.needBytes;
      }
      return;
    }
  }

  private newExtractor(): ScalarExtractor {
    return new ScalarExtractor(this.codec, this.file, this.run, (kind, offset, detail) =>
      this.warn(kind, offset, detail),
    );
  }

  private warn(kind: MetricsWarningKind, offset: number, detail: string): void {
    if (this.reported.has(kind)) return;
    this.reported.add(kind);
    this.options.onWarning?.({
      kind,
      file: this.file,
      offset,
      message: `${this.file} at offset ${offset}: ${detail}`,
    });
  }
}
