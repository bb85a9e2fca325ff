/**
 * Event-file parsing benchmark: throughput (MB/s, events/s) and peak memory
 * for 10 MB and 100 MB files in the Keras layout (one scalar per event, as
 * the TensorBoard callback writes them), and the cost of one incremental poll
 * after 1 MB is appended to the 100 MB file. The reader runs on one thread
 * and with its decode workers (as `strato metrics` and `job.metrics()` run
 * it: workers for files with 16 MiB or more to read).
 *
 *     npx tsx bench/metrics/parse.ts [--runs N]
 *
 * Each parse runs in a fresh child process, so its peak RSS is the reader's
 * alone (not the generator's); the table also gives the RSS of a child that
 * parses nothing. The machine is shared: every figure is the best of N child
 * runs (default 3), with the median beside it, and the load average is shown.
 */

import { spawnSync } from 'node:child_process';
import { appendFile, mkdtemp, rm, stat } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { table } from '../../src/cli/format.ts';
import { DecodePool } from '../../src/metrics/decode-pool.ts';
import { EventFileTail } from '../../src/metrics/event-file-tail.ts';
import { scanRecords } from '../../src/metrics/record-scanner.ts';
import { followRunMetrics } from '../../src/metrics/stream.ts';
import { EventFileWriter } from '../../src/metrics/writer.ts';
import { FileObjectStore, fileKey } from '../../src/storage/file-store.ts';
import type { ByteRange, ObjectStore } from '../../src/storage/types.ts';
import { getTensorflowVenv, type TensorflowVenv } from '../../test/support/tensorflow.ts';

const MB = 1_000_000;

interface ParseResult {
  mode: string;
  bytes: number;
  events: number;
  /** The first pass, JIT warm-up included. */
  coldMs: number;
  /** The faster of two later passes over the same file: steady-state throughput. */
  ms: number;
  peakRssMb: number;
}

/** Writes Keras-like logs until the file reaches `bytes`: batch_loss every step, epoch values every 1000. */
async function generate(dir: string, bytes: number): Promise<string> {
  const writer = await EventFileWriter.create(dir, { hostname: 'bench', pid: 1 });
  let step = 0;
  for (;;) {
    for (let i = 0; i < 1000; i++, step++) {
      writer.addScalar('batch_loss', 2 / (1 + step / 1000) + Math.random() / 10, step);
      if (step % 1000 === 999) {
        writer.addScalar('epoch_loss', 2 / (1 + step / 1000), step);
        writer.addScalar('epoch_accuracy', 1 - 1 / (1 + step / 1000), step);
      }
    }
    await writer.flush();
    if ((await stat(writer.path)).size >= bytes) break;
  }
  await writer.close();
  return writer.path;
}

/** One pass over `path` by `mode`; returns the events read. */
async function parsePass(path: string, size: number, mode: string, pool?: DecodePool): Promise<number> {
  const store = new FileObjectStore();
  let events = 0;
  if (mode === 'reader' || mode === 'reader-1') {
    // The reader: ranged reads, framing and CRC32C, protobuf decoding, scalar extraction.
    // With a pool, its workers decode whatever the file's size (the stream uses them from 16 MiB).
    const options = pool ? { decodePool: pool, parallelMinBytes: 0 } : {};
    const tail = new EventFileTail(store, fileKey(path), path, '', options);
    for await (const batch of tail.read(size)) events += batch.length;
  } else if (mode === 'stream') {
    // The public stream: the same (with the process's shared decode workers,
    // from 16 MiB), handed out one event at a time through an async iterator.
    for await (const _ of followRunMetrics(path)) events++;
  } else {
    // Framing and CRC32C alone (ranged reads included), for where the time goes.
    for (let start = 0; start < size; ) {
      const chunk = await store.read(fileKey(path), { start, end: Math.min(size, start + 512 * 1024) });
      const { consumed } = scanRecords(chunk, 0, () => {
        events++;
        return true;
      });
      start += consumed;
    }
  }
  return events;
}

/**
 * In the child: a cold pass (JIT warm-up included), then two passes from a
 * clean heap, the faster of which is the steady-state figure; printed as JSON.
 */
async function parseOnce(path: string, mode: string): Promise<void> {
  const size = (await stat(path)).size;
  const gc = (globalThis as { gc?: () => void }).gc;
  // One pool for the child's passes; the cold pass includes starting its threads.
  const pool = mode === 'reader' ? new DecodePool() : undefined;
  let started = performance.now();
  await parsePass(path, size, mode, pool);
  const coldMs = performance.now() - started;
  let ms = Number.POSITIVE_INFINITY;
  let events = 0;
  for (let pass = 0; pass < 2; pass++) {
    gc?.(); // Each measured pass starts from a clean heap, not from the previous pass's garbage.
    started = performance.now();
    events = await parsePass(path, size, mode, pool);
    ms = Math.min(ms, performance.now() - started);
  }
  await pool?.close();
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    JSON.stringify({ mode, bytes: size, events, coldMs, ms, peakRssMb } satisfies ParseResult),
  );
}

function parseInChild(path: string, mode: string): ParseResult {
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, fileURLToPath(import.meta.url), '--parse', path, mode],
    {
      encoding: 'utf8',
    },
  );
  if (child.status !== 0) throw new Error(`parse child failed: ${child.stderr}`);
  return JSON.parse(child.stdout) as ParseResult;
}

/** TensorBoard's EventAccumulator over the same file, in the TensorFlow venv's Python (the peer reader). */
function parseWithTensorboard(venv: TensorflowVenv, path: string): Omit<ParseResult, 'mode' | 'bytes'> {
  const script = fileURLToPath(new URL('./tensorboard_parse.py', import.meta.url));
  const child = spawnSync(venv.python, [script, path], { encoding: 'utf8', env: venv.env() });
  if (child.status !== 0) throw new Error(`TensorBoard parse failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Omit<ParseResult, 'mode' | 'bytes'>;
}

/** The TensorFlow venv when there is one; the TensorBoard rows are left out (and said so) otherwise. */
function findVenv(): TensorflowVenv | undefined {
  try {
    return getTensorflowVenv();
  } catch (error) {
    console.error(`TensorBoard not measured: ${(error as Error).message}`);
    return undefined;
  }
}

function countingStore(inner: ObjectStore): ObjectStore & { bytesRead: number; requests: number } {
  const counted = Object.create(inner) as ObjectStore & { bytesRead: number; requests: number };
  counted.bytesRead = 0;
  counted.requests = 0;
  counted.read = async (key: string, range?: ByteRange) => {
    const data = await inner.read(key, range);
    counted.bytesRead += data.length;
    counted.requests += 1;
    return data;
  };
  return counted;
}

/** Parses the whole file with a follower, appends ~1 MB of events, and times the next poll. */
async function incrementalPoll(path: string) {
  const store = countingStore(new FileObjectStore());
  const tail = new EventFileTail(store, fileKey(path), path, '');
  const fullStarted = performance.now();
  for await (const _ of tail.read((await stat(path)).size));
  const fullMs = performance.now() - fullStarted;
  const before = (await stat(path)).size;
  const appendDir = await mkdtemp(join(tmpdir(), 'strato-bench-append-'));
  try {
    const more = await generate(appendDir, 1 * MB);
    const { readFile } = await import('node:fs/promises');
    const bytes = await readFile(more);
    await appendFile(path, bytes.subarray(bytes.readUInt32LE(0) + 16)); // without its file_version record
  } finally {
    await rm(appendDir, { recursive: true, force: true });
  }
  const after = (await stat(path)).size;
  store.bytesRead = 0;
  store.requests = 0;
  let events = 0;
  const started = performance.now();
  for await (const batch of tail.read(after)) events += batch.length;
  return {
    fullMs,
    appended: after - before,
    pollMs: performance.now() - started,
    bytesRead: store.bytesRead,
    requests: store.requests,
    events,
  };
}

function bestAndMedian(values: number[], pick: 'min' | 'max'): [number, number] {
  const sorted = [...values].sort((a, b) => a - b);
  return [pick === 'min' ? sorted[0]! : sorted.at(-1)!, sorted[Math.floor(sorted.length / 2)]!];
}

async function main(): Promise<void> {
  const runsFlag = process.argv.indexOf('--runs');
  const runs = runsFlag === -1 ? 3 : Number(process.argv[runsFlag + 1]);
  const dir = await mkdtemp(join(tmpdir(), 'strato-bench-metrics-'));
  try {
    const baseline = parseInChild('', 'none');
    const rows: string[][] = [
      ['FILE', 'PARSER', 'EVENTS', 'MB/s best (median)', 'events/s best', 'cold MB/s', 'peak RSS MB'],
    ];
    let big = '';
    const venv = findVenv();
    const ratios: string[] = [];
    const strato: Record<number, number> = {};
    for (const targetMb of [10, 100]) {
      const started = performance.now();
      const path = await generate(join(dir, `${targetMb}mb`), targetMb * MB);
      const size = (await stat(path)).size;
      console.error(
        `generated ${(size / MB).toFixed(1)} MB in ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
      if (targetMb === 100) big = path;
      for (const mode of ['framing', 'reader-1', 'reader', 'stream']) {
        const results = Array.from({ length: runs }, () => parseInChild(path, mode));
        const [bestMs, medianMs] = bestAndMedian(
          results.map((r) => r.ms),
          'min',
        );
        const [bestColdMs] = bestAndMedian(
          results.map((r) => r.coldMs),
          'min',
        );
        const mbps = (ms: number) => (size / MB / (ms / 1000)).toFixed(0);
        rows.push([
          `${(size / MB).toFixed(0)} MB`,
          {
            framing: 'framing + CRC32C only',
            'reader-1': 'reader, one thread',
            reader: `reader + ${availableParallelism()} decode workers`,
            stream: 'followRunMetrics',
          }[mode]!,
          String(results[0]!.events),
          `${mbps(bestMs)} (${mbps(medianMs)})`,
          `${(((results[0]!.events / bestMs) * 1000) / 1e6).toFixed(2)} M`,
          mbps(bestColdMs),
          Math.max(...results.map((r) => r.peakRssMb)).toFixed(0),
        ]);
        if (mode === 'stream') strato[targetMb] = bestMs;
      }
      if (venv) {
        const tb = parseWithTensorboard(venv, path);
        const mbps = (ms: number) => (size / MB / (ms / 1000)).toFixed(1);
        rows.push([
          `${(size / MB).toFixed(0)} MB`,
          'TensorBoard EventAccumulator',
          String(tb.events),
          mbps(tb.ms),
          `${(((tb.events / tb.ms) * 1000) / 1e6).toFixed(2)} M`,
          mbps(tb.coldMs),
          tb.peakRssMb.toFixed(0),
        ]);
        ratios.push(
          `${(size / MB).toFixed(0)} MB: followRunMetrics ${(tb.ms / strato[targetMb]!).toFixed(1)}× TensorBoard's speed`,
        );
      }
    }
    console.log(table(rows));
    if (ratios.length > 0)
      console.log(`(${ratios.join('; ')}; TensorBoard: one steady pass after a cold one)`);
    console.log(
      `(peak RSS of a child that parses nothing: ${baseline.peakRssMb.toFixed(0)} MB, and each decode worker adds its own heap; load average ${loadavg()[0]!.toFixed(1)})`,
    );
    const poll = await incrementalPoll(big);
    console.log('');
    console.log(
      table([
        ['INCREMENTAL POLL', 'APPENDED', 'BYTES READ', 'REQUESTS', 'EVENTS', 'POLL ms', 'FULL PARSE ms'],
        [
          '100 MB file + 1 MB',
          `${(poll.appended / MB).toFixed(2)} MB`,
          `${(poll.bytesRead / MB).toFixed(2)} MB`,
          String(poll.requests),
          String(poll.events),
          poll.pollMs.toFixed(1),
          poll.fullMs.toFixed(0),
        ],
      ]),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--parse' && process.argv[4] === 'none') {
  process.stdout.write(JSON.stringify({ peakRssMb: process.resourceUsage().maxRSS / 1024 }));
} else if (process.argv[2] === '--parse') {
  await parseOnce(process.argv[3]!, process.argv[4]!);
} else {
  await main();
}
