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

import { setImmediate as nextTurn } from 'node:timers/promises';
import type { ObjectStore } from '../storage/types.ts';
import { type DecodedChunk, type DecodeRequest, decodeChunk } from './chunk-decoder.ts';
import type { DecodePool } from './decode-pool.ts';
import { createEventCodec, type EventCodec } from './event-codec.ts';
import { scanRecords } from './record-scanner.ts';
import { ScalarColumnsBuilder } from './scalar-columns.ts';
import { ScalarResolver } from './scalar-resolver.ts';
import { DEFAULT_MAX_RECORD_BYTES } from './tfrecord.ts';
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
/**
 * Record bytes per decode run: a unit of work for a decode worker, and the
 * most held per run in flight. 256 KiB measured faster than 1 MiB with two
 * workers (bench/metrics/parse.ts): the workers start sooner and idle less.
 */
const RUN_BYTES = 256 * 1024;
/**
 * Unread bytes from which a read uses the decode pool. Below it, starting
 * the pool's threads (~0.1 s of CPU each) costs more than they save.
 */
export const DEFAULT_PARALLEL_MIN_BYTES = 16 * 1024 * 1024;

export interface EventFileTailOptions {
  /** Records longer than this are treated as corrupt (default 64 MiB). */
  maxRecordBytes?: number;
  /** Bytes per ranged read (default 512 KiB on file://, 8 MiB on cloud stores). */
  chunkBytes?: number;
  onWarning?: (warning: MetricsWarning) => void;
  signal?: AbortSignal;
  /** Worker threads that decode large backlogs; without it, everything decodes on this thread. */
  decodePool?: DecodePool;
  /** Unread bytes from which `decodePool` is used (default 16 MiB). */
  parallelMinBytes?: number;
}

/** A run of checked records, on its way to being decoded and handed out. */
interface RecordRun {
  request: DecodeRequest;
  /** File offset just past the run's last record. */
  end: number;
  /** Set when the record at `end` failed its checks: nothing after it is read. */
  corrupt?: string;
  decoded: Promise<DecodedChunk> | DecodedChunk;
}

export class EventFileTail {
  /** Offset just past the last record whose scalars were handed out. */
  private goodOffset = 0;
  /** Offset just past the last record scanned (framing and CRCs checked); ahead of `goodOffset` while decoding. */
  private scanOffset = 0;
  /** Bytes read after `scanOffset` that do not yet make a whole record. */
  private pending: Buffer | undefined;
  /** Bytes from `scanOffset` that would complete the pending record. */
  private needBytes = 0;
  /** Offset of the corrupt record that stopped this file, once there is one. */
  private corruptAt: number | undefined;
  /** Whether a ranged read is in flight while the reader works. */
  private readingAhead = false;
  private resolver: ScalarResolver;
  private readonly reported = new Set<MetricsWarningKind>();
  private readonly codec: EventCodec = createEventCodec();
  private readonly maxRecordBytes: number;
  private readonly chunkBytes: number;

  private readonly store: ObjectStore;
  readonly key: string;
  /** The file as shown to users: a local path or an object URI. */
  readonly file: string;
  readonly run: string;
  private readonly options: EventFileTailOptions;

  constructor(
    store: ObjectStore,
    key: string,
    file: string,
    run: string,
    options: EventFileTailOptions = {},
  ) {
    this.store = store;
    this.key = key;
    this.file = file;
    this.run = run;
    this.options = options;
    this.maxRecordBytes = options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES;
    this.chunkBytes =
      options.chunkBytes ?? (store.scheme === 'file' ? DEFAULT_FILE_CHUNK_BYTES : DEFAULT_CLOUD_CHUNK_BYTES);
    this.resolver = this.newResolver();
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
   * listing or stat reported), yielding the scalars in batches. If the
   * consumer stops early, the next read resumes after the last batch taken.
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
      this.resolver = this.newResolver();
      readFrom = 0;
    }
    this.scanOffset = this.goodOffset;
    const pool =
      size - readFrom >= (this.options.parallelMinBytes ?? DEFAULT_PARALLEL_MIN_BYTES) &&
      this.options.decodePool?.usable
        ? this.options.decodePool
        : undefined;
    // Runs are scanned in order, decoded ahead (on the pool's threads), and
    // handed out in order.
    const inFlight: RecordRun[] = [];
    let completed = false;
    try {
      for await (const run of this.scanRuns(readFrom, size)) {
        // With a pool, as many runs decode ahead as its workers take at once.
        while (inFlight.length >= (pool?.capacity ?? 1)) yield* this.handOut(inFlight.shift()!);
        run.decoded = this.decode(run.request, pool);
        inFlight.push(run);
      }
      while (inFlight.length > 0) yield* this.handOut(inFlight.shift()!);
      completed = true;
    } finally {
      if (!completed) {
        // Stopped between batches (or by a failed read): what was scanned
        // past the last batch taken is scanned again next time.
        this.pending = undefined;
        this.needBytes = 0;
      }
    }
  }

  /** The runs of checked records between `readFrom` and `size`; keeps an incomplete last record pending. */
  private async *scanRuns(readFrom: number, size: number): AsyncGenerator<RecordRun> {
    // The next chunk is fetched while this one is worked on, so the store's
    // latency (a disk read, an HTTP round trip) overlaps the CPU work.
    let ahead: Promise<Buffer> | undefined;
    const fetch = (start: number, bytes: number) => {
      const promise = this.store.read(this.key, { start, end: Math.min(size, start + bytes) });
      promise.catch(() => {}); // Observed by the await below, or dropped when the read stops early.
      return promise;
    };
    try {
      while (readFrom < size && !this.options.signal?.aborted) {
        const pendingBytes = this.pending?.length ?? 0;
        this.readingAhead = false;
        const data = await (ahead ??
          fetch(readFrom, Math.max(this.chunkBytes, this.needBytes - pendingBytes)));
        ahead = undefined;
        this.reported.delete('read-failed');
        if (data.length === 0) break; // The object shrank between the listing and the read.
        readFrom += data.length;
        if (readFrom < size) ahead = fetch(readFrom, this.chunkBytes);
        this.readingAhead = ahead !== undefined;
        let from = 0;
        // Complete a record cut by the previous chunk in a small buffer of its
        // own, rather than copying the whole new chunk behind it.
        while (this.pending && from < data.length) {
          const take = Math.min(data.length - from, this.needBytes - this.pending.length);
          const joined = Buffer.concat([this.pending, data.subarray(from, from + take)]);
          from += take;
          const run = this.scanRun(joined, 0);
          yield run.run;
          if (run.run.corrupt !== undefined) return;
        }
        while (from < data.length) {
          const { run, next } = this.scanRun(data, from);
          yield run;
          // Nothing after a corrupt record is read: the rest of the file is skipped.
          if (run.corrupt !== undefined) return;
          if (next === undefined) break;
          from = next;
        }
      }
    } finally {
      this.readingAhead = false;
    }
  }

  /**
   * Checks the records of `buf` from index `from` (at file offset
   * `scanOffset`), up to about RUN_BYTES of them. `next` is where the rest
   * of the buffer starts, when the run stopped early to keep runs small.
   */
  private scanRun(buf: Buffer, from: number): { run: RecordRun; next?: number } {
    const bounds: number[] = [];
    const { consumed, stop } = scanRecords(
      buf,
      from,
      (start, end) => {
        bounds.push(start - from, end - from);
        return end - from < RUN_BYTES;
      },
      this.maxRecordBytes,
    );
    const base = this.scanOffset;
    this.scanOffset = base + consumed - from;
    this.pending = undefined;
    this.needBytes = 0;
    if (stop.kind === 'partial') {
      // Copied so the rest of the chunk can be freed.
      this.pending = Buffer.from(buf.subarray(consumed));
      this.needBytes = stop.needBytes;
    }
    const run: RecordRun = {
      request: { bytes: buf.subarray(from, consumed), bounds: Uint32Array.from(bounds), base },
      end: this.scanOffset,
      corrupt: stop.kind === 'corrupt' ? stop.reason : undefined,
      decoded: NOTHING_DECODED,
    };
    return { run, next: stop.kind === 'paused' ? consumed : undefined };
  }

  private decode(request: DecodeRequest, pool: DecodePool | undefined): Promise<DecodedChunk> | DecodedChunk {
    if (request.bounds.length === 0) return NOTHING_DECODED;
    const inWorker = pool?.tryDecode(request);
    // A worker that died: decode its run here instead.
    if (inWorker) return inWorker.catch(() => decodeChunk(this.codec, request));
    return decodeChunk(this.codec, request);
  }

  /** Yields the scalars of `run` in batches, moving `goodOffset` along. */
  private async *handOut(run: RecordRun): AsyncGenerator<MetricEvent[]> {
    const { columns, warnings } = await run.decoded;
    for (const warning of warnings) this.warn(warning.kind, warning.offset, warning.detail);
    let index = 0;
    while (index < columns.count) {
      const batch: MetricEvent[] = [];
      index = this.resolver.resolve(columns, index, BATCH_EVENTS, batch);
      this.goodOffset = index < columns.count ? columns.recordEnds[index - 1]! : run.end;
      if (batch.length > 0) {
        yield batch;
        // Decoding is synchronous; let the event loop run the read ahead's
        // I/O steps between batches, or it would only start once the chunk is done.
        if (this.readingAhead) await nextTurn();
      }
    }
    this.goodOffset = run.end;
    if (run.corrupt !== undefined) {
      this.corruptAt = run.end;
      this.warn('corrupt', run.end, `${run.corrupt}; skipping the rest of this file`);
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

  private newResolver(): ScalarResolver {
    return new ScalarResolver(this.file, this.run, (kind, offset, detail) => this.warn(kind, offset, detail));
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

const NOTHING_DECODED: DecodedChunk = {
  columns: new ScalarColumnsBuilder(0).finish(),
  warnings: [],
};
