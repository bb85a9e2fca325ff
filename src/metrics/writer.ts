/**
 * Writes TensorBoard event files, as TensorFlow's summary writers do, so a
 * trainer written in TypeScript (or a test) produces logs TensorBoard and
 * Strato read like any Keras run's.
 */

import type { FileHandle } from 'node:fs/promises';
import { mkdir, open } from 'node:fs/promises';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { StratoError } from '../errors.ts';
import { isUri, parseObjectUri } from '../internal/uri.ts';
import { createEventCodec, type EventCodec, type EventInit, encodeMetadata } from './event-codec.ts';
import { DT_FLOAT } from './tensor-scalar.ts';
import { encodeRecord } from './tfrecord.ts';

/** `kVersionPrefix` + `kCurrentVersion` in tensorflow/core/util/events_writer.h. */
export const FILE_VERSION = 'brain.Event:2';
/** Suffix `tf.summary.create_file_writer` gives its files (summary_ops_v2.py). */
const TF2_FILENAME_SUFFIX = '.v2';
/** Pending bytes that trigger a write without waiting for `flush()`. */
const AUTO_FLUSH_BYTES = 1024 * 1024;
/** What tf.summary.scalar attaches (tensorboard/plugins/scalar/metadata.py): plugin "scalars", DATA_CLASS_SCALAR. */
const SCALAR_METADATA = encodeMetadata({ pluginData: { pluginName: 'scalars' }, dataClass: 1 });

/** Where and how an `EventFileWriter` writes. */
export interface EventFileWriterOptions {
  /** Host name in the file name (default: this machine's). */
  hostname?: string;
  /** Milliseconds since the epoch, like `Date.now` (the default); for the file name and default wall times. */
  now?: () => number;
  /**
   * How scalars are stored: `tensor` (default) as TF2 and Keras write them, a
   * rank-0 DT_FLOAT tensor with `tensor_content` and the `scalars` plugin's
   * metadata; `simple_value` as TF1's `tf.compat.v1.summary.scalar` does.
   */
  scalarFormat?: 'tensor' | 'simple_value';
  /** Process id in the file name (default: this process's). */
  pid?: number;
}

/**
 * File name TF2's summary writer uses: `events.out.tfevents.<seconds, 10
 * digits>.<host>.<pid>.<n>.v2` (events_writer.cc formats the time with `%010lld`;
 * summary_file_writer.cc adds the pid and a per-process counter `n`).
 */
export function eventFileName(seconds: number, host: string, pid: number, n: number): string {
  const safeHost = host.replace(/[/\\]/g, '_');
  return `events.out.tfevents.${String(seconds).padStart(10, '0')}.${safeHost}.${pid}.${n}${TF2_FILENAME_SUFFIX}`;
}

function localDir(logDir: string): string {
  if (isUri(logDir)) {
    const uri = parseObjectUri(logDir);
    if (uri.scheme !== 'file') {
      throw new StratoError('E_UNSUPPORTED', `EventFileWriter writes local files; got ${logDir}`, {
        hint: 'write to a local folder (or file:// URI) and upload it, or let the trainer write to the bucket itself',
      });
    }
    return uri.path;
  }
  return logDir;
}

/**
 * Writes TensorBoard event files (`events.out.tfevents.*`) as TensorFlow does:
 * TFRecord framing with masked CRC32C, scalar summaries. For tests and tools
 * that need real event files without TensorFlow.
 */
export class EventFileWriter {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Writes run one after another through this chain. */
  private writing: Promise<void> = Promise.resolve();
  private failure: unknown;
  private closed = false;

  readonly path: string;
  private readonly handle: FileHandle;
  private readonly codec: EventCodec;
  private readonly now: () => number;
  private readonly scalarFormat: 'tensor' | 'simple_value';

  private constructor(
    path: string,
    handle: FileHandle,
    codec: EventCodec,
    now: () => number,
    scalarFormat: 'tensor' | 'simple_value',
  ) {
    this.path = path;
    this.handle = handle;
    this.codec = codec;
    this.now = now;
    this.scalarFormat = scalarFormat;
  }

  /**
   * Creates the folder and a new event file in it, and writes the
   * `file_version` record right away, as TensorFlow does, so the file is
   * recognisable from its first bytes.
   */
  static async create(logDir: string, options: EventFileWriterOptions = {}): Promise<EventFileWriter> {
    const dir = localDir(logDir);
    const now = options.now ?? Date.now;
    await mkdir(dir, { recursive: true });
    const seconds = Math.floor(now() / 1000);
    const host = options.hostname ?? osHostname();
    const pid = options.pid ?? process.pid;
    let handle: FileHandle | undefined;
    let path = '';
    // Like TF's per-process counter, `n` keeps two writers created in the same
    // second apart; an exclusive create finds the next free one without shared state.
    for (let n = 0; handle === undefined; n++) {
      path = join(dir, eventFileName(seconds, host, pid, n));
      try {
        handle = await open(path, 'wx');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new StratoError(
            'E_IO',
            `cannot create an event file in ${dir}: ${(error as Error).message}`,
            {
              cause: error,
              hint: 'check that the folder is writable',
            },
          );
        }
      }
    }
    const writer = new EventFileWriter(
      path,
      handle,
      createEventCodec(),
      now,
      options.scalarFormat ?? 'tensor',
    );
    // events_writer.cc stamps the version record with whole seconds.
    writer.append({ wallTime: seconds, fileVersion: FILE_VERSION });
    await writer.flush();
    return writer;
  }

  /** Queues one scalar; it reaches the file on `flush()`, `close()`, or once 1 MiB is queued. */
  addScalar(tag: string, value: number, step: number, wallTimeSec: number = this.now() / 1000): void {
    if (typeof tag !== 'string' || tag === '') {
      throw new StratoError('E_USAGE', `a scalar needs a tag; got ${JSON.stringify(tag)}`, {
        hint: 'name the series, e.g. "epoch_loss"',
      });
    }
    if (!Number.isSafeInteger(step)) {
      throw new StratoError('E_USAGE', `step of "${tag}" must be an integer; got ${step}`, {
        hint: 'pass the batch or epoch number',
      });
    }
    this.append({ wallTime: wallTimeSec, step, summary: { value: [this.scalarValue(tag, value)] } });
    if (this.pendingBytes >= AUTO_FLUSH_BYTES) void this.flush().catch(() => {});
  }

  /** Writes everything queued. Rejects with the first write failure, if any. */
  async flush(): Promise<void> {
    const chunk = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (chunk.length > 0) {
      this.writing = this.writing.then(async () => {
        if (this.failure !== undefined) return;
        try {
          await this.handle.write(Buffer.concat(chunk));
        } catch (error) {
          this.failure = error;
        }
      });
    }
    await this.writing;
    if (this.failure !== undefined) {
      throw new StratoError('E_IO', `cannot write ${this.path}: ${(this.failure as Error).message}`, {
        cause: this.failure,
        hint: 'check free disk space and permissions',
      });
    }
  }

  /** Flushes and closes the file; calling it again does nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.flush();
    } finally {
      this.closed = true;
      await this.handle.close();
    }
  }

  private append(event: EventInit): void {
    if (this.closed) {
      throw new StratoError('E_USAGE', `${this.path} is closed`, { hint: 'create a new EventFileWriter' });
    }
    const record = encodeRecord(this.codec.encode(event));
    this.pending.push(record);
    this.pendingBytes += record.length;
  }

  private scalarValue(tag: string, value: number): NonNullable<EventInit['summary']>['value'][number] {
    if (this.scalarFormat === 'simple_value') return { tag, simpleValue: value };
    const content = Buffer.allocUnsafe(4);
    content.writeFloatLE(value);
    return {
      tag,
      metadata: SCALAR_METADATA,
      // Tensor::AsProtoTensorContent: dtype, an empty shape (rank 0), raw little-endian bytes.
      tensor: { dtype: DT_FLOAT, tensorShape: {}, tensorContent: content },
    };
  }
}
