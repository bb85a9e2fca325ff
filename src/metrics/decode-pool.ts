/**
 * Worker threads that decode event-file records, for reading a large
 * backlog: protobuf decoding is ~70% of a reader's CPU, and it parallelizes
 * per run of records while framing, CRCs and the in-order step stay on the
 * reading thread. On 2 cores, a 100 MB Keras file reads at ~160 MB/s with
 * two warm workers against ~110 MB/s on one thread (bench/metrics/parse.ts).
 *
 * Threads start on first use, never keep the process alive while idle, and
 * stop after a while idle. A fresh thread decodes at about half speed until
 * V8 has optimized the decoders in it, so readers share one pool per process
 * (`sharedDecodePool`) unless given their own. `tryDecode` declines rather
 * than queues when every worker is busy or still starting, so the reader
 * decodes that run itself: it never waits on a thread that is not there.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { packageModule } from '../internal/node-entry.ts';
import type { DecodedChunk, DecodeRequest } from './chunk-decoder.ts';
import type { WorkerRequest } from './decode-worker.ts';

const DECODE_WORKER = packageModule('./decode-worker.ts', import.meta.url);

export interface DecodePoolOptions {
  /** Worker threads (default: the cores, at most 4). */
  threads?: number;
  /** Runs waiting at one worker before it declines more (default 2: one decoding, one queued). */
  maxQueuedPerThread?: number;
  /** The worker script; default: `decode-worker` of this package. */
  workerScript?: string;
  /** Stops the threads after this long without work (default 30 s); the next run starts them again. */
  idleMs?: number;
}

/** Stopping idle threads frees their heaps (~20 MB each); 30 s keeps them across a follower's polls. */
const DEFAULT_IDLE_MS = 30_000;

let shared: DecodePool | undefined;

/**
 * The process's pool, for readers not given one. Threads are a process
 * resource (like libuv's thread pool), and warm ones are the fast ones.
 */
export function sharedDecodePool(): DecodePool {
  shared ??= new DecodePool();
  return shared;
}

interface Pending {
  resolve(decoded: DecodedChunk): void;
  reject(error: Error): void;
}

interface PoolThread {
  worker: Worker;
  ready: boolean;
  dead: boolean;
  /** Settles when the thread is ready or dead. */
  started: Promise<void>;
  pending: Map<number, Pending>;
}

type WorkerReply = { ready: true } | { id: number; decoded: DecodedChunk } | { id: number; error: string };

export class DecodePool {
  private threads: PoolThread[] | undefined;
  private nextId = 0;
  private closed = false;
  private decoded = 0;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly threadCount: number;
  private readonly maxQueued: number;

  private readonly options: DecodePoolOptions;

  constructor(options: DecodePoolOptions = {}) {
    this.options = options;
    this.threadCount = options.threads ?? Math.min(4, availableParallelism());
    this.maxQueued = options.maxQueuedPerThread ?? 2;
  }

  /** Runs the workers take at once: how far ahead a reader should decode. */
  get capacity(): number {
    return this.threadCount * this.maxQueued;
  }

  /** Threads started and not stopped. */
  get liveThreads(): number {
    return this.threads?.filter((thread) => !thread.dead).length ?? 0;
  }

  /** Runs decoded on the workers so far. */
  get runsDecoded(): number {
    return this.decoded;
  }

  /** Whether the pool can decode at all (it has threads, and a worker script to run). */
  get usable(): boolean {
    return !this.closed && this.threadCount > 0 && (this.threads === undefined || this.threads.length > 0);
  }

  /**
   * Decodes `request` on a worker; undefined when none can take it now.
   * The request's arrays are copied, so the caller may decode it itself if
   * the promise rejects (the worker died).
   */
  tryDecode(request: DecodeRequest): Promise<DecodedChunk> | undefined {
    if (this.closed) return undefined;
    clearTimeout(this.idleTimer);
    const threads = this.start();
    let best: PoolThread | undefined;
    for (const thread of threads) {
      if (!thread.ready || thread.dead || thread.pending.size >= this.maxQueued) continue;
      if (!best || thread.pending.size < best.pending.size) best = thread;
    }
    if (!best) return undefined;
    const thread = best;
    const id = this.nextId++;
    // A copy the worker can own (`Buffer#slice` would be a view, and transferring it would detach the caller's chunk).
    const bytes = new Uint8Array(request.bytes);
    const bounds = request.bounds.slice();
    return new Promise<DecodedChunk>((resolve, reject) => {
      if (thread.pending.size === 0) thread.worker.ref();
      thread.pending.set(id, { resolve, reject });
      const message: WorkerRequest = { id, bytes, bounds, base: request.base };
      thread.worker.postMessage(message, [bytes.buffer as ArrayBuffer, bounds.buffer as ArrayBuffer]);
    });
  }

  /** Starts the threads now and waits until each is ready (or failed to start). */
  async warmUp(): Promise<void> {
    if (this.closed) return;
    await Promise.all(this.start().map((thread) => thread.started));
  }

  /** Stops the threads; runs in flight reject. */
  async close(): Promise<void> {
    this.closed = true;
    await this.stopThreads();
  }

  private async stopThreads(): Promise<void> {
    clearTimeout(this.idleTimer);
    const threads = this.threads ?? [];
    this.threads = undefined;
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private whenIdleStop(): void {
    if (this.threads?.some((thread) => thread.pending.size > 0)) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => void this.stopThreads(), this.options.idleMs ?? DEFAULT_IDLE_MS);
    this.idleTimer.unref();
  }

  private start(): PoolThread[] {
    if (this.threads) return this.threads;
    const script = this.options.workerScript ?? DECODE_WORKER;
    this.threads = Array.from({ length: this.threadCount }, () => this.spawn(script));
    return this.threads;
  }

  private spawn(script: string): PoolThread {
    const worker = new Worker(script);
    let started = () => {};
    const thread: PoolThread = {
      worker,
      ready: false,
      dead: false,
      started: new Promise((resolve) => {
        started = resolve;
      }),
      pending: new Map(),
    };
    worker.unref();
    const fail = (error: Error) => {
      thread.dead = true;
      started();
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
    };
    worker.on('message', (reply: WorkerReply) => {
      if ('ready' in reply) {
        thread.ready = true;
        started();
        return;
      }
      const pending = thread.pending.get(reply.id);
      if (!pending) return;
      thread.pending.delete(reply.id);
      if (thread.pending.size === 0) worker.unref();
      if ('error' in reply) pending.reject(new Error(reply.error));
      else {
        this.decoded++;
        pending.resolve(reply.decoded);
      }
      this.whenIdleStop();
    });
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`metrics decode worker exited with code ${code}`)));
    return thread;
  }
}
