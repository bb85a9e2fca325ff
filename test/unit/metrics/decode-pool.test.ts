import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../src/internal/sleep.ts';
import { DecodePool } from '../../../src/metrics/decode-pool.ts';
import { encodeMetadata } from '../../../src/metrics/event-codec.ts';
import { EventFileTail, type EventFileTailOptions } from '../../../src/metrics/event-file-tail.ts';
import { encodeRecord } from '../../../src/metrics/tfrecord.ts';
import type { MetricEvent } from '../../../src/metrics/types.ts';
import { FileObjectStore, fileKey } from '../../../src/storage/file-store.ts';
import {
  collectWarnings,
  record,
  simpleScalarRecord,
  stringScalarRecord,
  tensorScalarRecord,
  unknownFieldRecord,
  versionRecord,
  withTempDir,
} from '../../support/event-files.ts';

const pool = new DecodePool({ threads: 2 });
afterAll(() => pool.close());

/** Every kind of record the classifier and resolver tell apart, over ~3 MB (a dozen decode runs). */
function mixedFile(): Buffer {
  const scalars = encodeMetadata({ pluginData: { pluginName: 'scalars' } });
  const images = encodeMetadata({ pluginData: { pluginName: 'images' } });
  const tf1Scalar = (step: number, withMetadata: boolean) =>
    record({
      wallTime: 1,
      step,
      summary: {
        value: [
          {
            tag: 'tf1',
            ...(withMetadata ? { metadata: scalars } : {}),
            tensor: { dtype: 1, floatVal: [step] },
          },
        ],
      },
    });
  const image = (step: number, withMetadata: boolean) =>
    record({
      wallTime: 1,
      step,
      summary: {
        value: [
          {
            tag: 'image',
            ...(withMetadata ? { metadata: images } : {}),
            tensor: { dtype: 7, tensorShape: { dim: [{ size: 3 }] }, stringVal: [Buffer.from('png')] },
          },
        ],
      },
    });
  const parts = [versionRecord(), tf1Scalar(0, true), image(0, true)];
  for (let step = 1; step <= 40_000; step++) {
    parts.push(tensorScalarRecord('batch_loss', step, 1 / step));
    if (step % 1000 === 0) parts.push(simpleScalarRecord('epoch_loss', step, 2 / step));
    // Metadata only on the first value: later ones inherit what it said, across runs and workers.
    if (step % 997 === 0) parts.push(tf1Scalar(step, false), image(step, false));
    if (step === 20_000)
      parts.push(
        stringScalarRecord('status', step),
        unknownFieldRecord('odd', step),
        encodeRecord(Buffer.from([0x0f, 0xff])),
      );
  }
  return Buffer.concat(parts);
}

async function readAll(path: string, options: EventFileTailOptions) {
  const { warnings, onWarning } = collectWarnings();
  const tail = new EventFileTail(new FileObjectStore(), fileKey(path), path, 'train', {
    onWarning,
    ...options,
  });
  const events: MetricEvent[] = [];
  for await (const batch of tail.read((await stat(path)).size)) events.push(...batch);
  tail.reportEndOfInput();
  return { events, warnings, offset: tail.offset };
}

const PARALLEL: EventFileTailOptions = { decodePool: pool, parallelMinBytes: 0 };

describe('EventFileTail with a decode pool', () => {
  it('reads exactly what one thread reads, warnings included, with most runs decoded on the workers', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.mixed');
      await writeFile(path, mixedFile());
      const serial = await readAll(path, {});
      await pool.warmUp();
      const before = pool.runsDecoded;
      const parallel = await readAll(path, PARALLEL);
      expect(pool.runsDecoded - before).toBeGreaterThan(5);
      expect(serial.events).toHaveLength(40_000 + 40 + 41 + 1); // batch_loss, epoch_loss, tf1, the one with an unknown field;
      expect(serial.events.filter((e) => e.tag === 'tf1')).toHaveLength(41);
      expect(serial.warnings.map((w) => w.kind).sort()).toEqual([
        'not-a-number',
        'undecodable',
        'unknown-field',
      ]);
      expect(parallel.events).toEqual(serial.events);
      expect(parallel.warnings).toEqual(serial.warnings);
      expect(parallel.offset).toBe(serial.offset);
    });
  });

  it('stops at a corrupt record in a later run, at the same offset as one thread does', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.corrupt');
      const bytes = mixedFile();
      bytes[Math.floor(bytes.length * 0.7)]! ^= 0x10;
      await writeFile(path, bytes);
      const serial = await readAll(path, {});
      const parallel = await readAll(path, PARALLEL);
      expect(serial.warnings.find((w) => w.kind === 'corrupt')).toBeDefined();
      expect(serial.events.length).toBeLessThan(40_000);
      expect(parallel.events).toEqual(serial.events);
      expect(parallel.warnings).toEqual(serial.warnings);
      // Both stop at the corrupt record, not somewhere in the chunks read after it.
      const corrupt = serial.warnings.find((w) => w.kind === 'corrupt')!;
      expect(serial.offset).toBe(corrupt.offset);
      expect(parallel.offset).toBe(corrupt.offset);
    });
  });

  it('resumes after the last batch taken when the consumer stops early, losing and repeating nothing', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.resume');
      await writeFile(path, mixedFile());
      const whole = await readAll(path, {});
      const tail = new EventFileTail(new FileObjectStore(), fileKey(path), path, 'train', PARALLEL);
      const size = (await stat(path)).size;
      const events: MetricEvent[] = [];
      let batches = 0;
      for await (const batch of tail.read(size)) {
        events.push(...batch);
        if (++batches === 7) break;
      }
      expect(tail.offset).toBeLessThan(size);
      for await (const batch of tail.read(size)) events.push(...batch);
      expect(events).toEqual(whole.events);
    });
  });

  it('decodes on the reading thread when a worker dies mid-read', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.dying');
      await writeFile(path, mixedFile());
      // A worker that says it is ready, then exits on its first run.
      const script = join(dir, 'dying-worker.mjs');
      await writeFile(
        script,
        "import { parentPort } from 'node:worker_threads';\nparentPort.postMessage({ ready: true });\nparentPort.on('message', () => process.exit(3));\n",
      );
      const dying = new DecodePool({ threads: 1, workerScript: script });
      try {
        await dying.warmUp(); // So that the read hands it a run.
        const serial = await readAll(path, {});
        const survived = await readAll(path, { decodePool: dying, parallelMinBytes: 0 });
        expect(survived.events).toEqual(serial.events);
        expect(survived.warnings).toEqual(serial.warnings);
      } finally {
        await dying.close();
      }
    });
  });

  it('stops its threads after a while idle, and starts them again for the next read', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.idle');
      await writeFile(path, mixedFile());
      const napping = new DecodePool({ threads: 1, idleMs: 50 });
      try {
        await napping.warmUp();
        const first = await readAll(path, { decodePool: napping, parallelMinBytes: 0 });
        expect(napping.runsDecoded).toBeGreaterThan(0);
        await sleep(300);
        expect(napping.liveThreads).toBe(0);
        await napping.warmUp();
        expect(napping.liveThreads).toBe(1);
        const decodedBefore = napping.runsDecoded;
        const second = await readAll(path, { decodePool: napping, parallelMinBytes: 0 });
        expect(napping.runsDecoded).toBeGreaterThan(decodedBefore);
        expect(second.events).toEqual(first.events);
      } finally {
        await napping.close();
      }
    });
  });
});
