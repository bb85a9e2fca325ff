import { appendFile, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../../src/metrics/crc.ts';
import { encodeMetadata } from '../../../src/metrics/event-codec.ts';
import {
  DEFAULT_FILE_CHUNK_BYTES,
  EventFileTail,
  type EventFileTailOptions,
} from '../../../src/metrics/event-file-tail.ts';
import { encodeRecord } from '../../../src/metrics/tfrecord.ts';
import type { MetricEvent } from '../../../src/metrics/types.ts';
import { FileObjectStore, fileKey } from '../../../src/storage/file-store.ts';
import type { ObjectStore } from '../../../src/storage/types.ts';
import {
  collectWarnings,
  countingStore,
  FIXTURE,
  record,
  seededBytes,
  simpleScalarRecord,
  stringScalarRecord,
  tensorScalarRecord,
  unknownFieldRecord,
  versionRecord,
  withTempDir,
} from '../../support/event-files.ts';

function openTail(
  path: string,
  options: EventFileTailOptions = {},
  store: ObjectStore = new FileObjectStore(),
) {
  const { warnings, onWarning } = collectWarnings();
  const tail = new EventFileTail(store, fileKey(path), path, 'train', { onWarning, ...options });
  /** One poll: reads what the file has now. */
  async function poll(): Promise<MetricEvent[]> {
    const events: MetricEvent[] = [];
    for await (const batch of tail.read((await stat(path)).size)) events.push(...batch);
    return events;
  }
  return { tail, warnings, poll };
}

async function readOnce(path: string, options: EventFileTailOptions = {}) {
  const opened = openTail(path, options);
  const events = await opened.poll();
  opened.tail.reportEndOfInput();
  return { events, warnings: opened.warnings, tail: opened.tail };
}

describe('EventFileTail on a real TensorFlow event file', () => {
  it('reads the 2,520 simple_value scalars of the lingvo fixture, starting with bleu/dev at step 1,500', async () => {
    const { events, warnings, tail } = await readOnce(FIXTURE);
    expect(warnings).toEqual([]);
    expect(events).toHaveLength(2520);
    expect(events[0]).toMatchObject({ run: 'train', tag: 'bleu/dev', step: 1500, file: FIXTURE });
    expect(events[0]!.value).toBeCloseTo(0.11201018, 7);
    expect(new Set(events.map((e) => e.tag)).size).toBe(7);
    expect(events.at(-1)!.step).toBe(185_200);
    expect(tail.offset).toBe(80_291);
  });

  it('reads the same values when the file arrives in 257-byte ranged reads', async () => {
    const whole = (await readOnce(FIXTURE)).events;
    const { events, warnings } = await readOnce(FIXTURE, { chunkBytes: 257 });
    expect(warnings).toEqual([]);
    expect(events).toEqual(whole);
  });

  it('puts records back together from reads smaller than a record header', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.small-reads');
      await writeFile(
        path,
        Buffer.concat([versionRecord(), ...[1, 2, 3, 4].map((s) => tensorScalarRecord('loss', s, s / 10))]),
      );
      const { events, warnings } = await readOnce(path, { chunkBytes: 5 });
      expect(warnings).toEqual([]);
      expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4]);
    });
  });
});

describe('EventFileTail on bad input', () => {
  it('warns that an empty file is empty, at offset 0', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.empty');
      await writeFile(path, '');
      const { events, warnings } = await readOnce(path);
      expect(events).toEqual([]);
      expect(warnings).toEqual([
        {
          kind: 'empty',
          file: path,
          offset: 0,
          message: `${path} at offset 0: the file is empty (no records yet)`,
        },
      ]);
    });
  });

  it('reports random bytes as corrupt at offset 0 and skips the file from there', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.random');
      await writeFile(path, seededBytes(1000, 42));
      const opened = openTail(path);
      expect(await opened.poll()).toEqual([]);
      await appendFile(path, simpleScalarRecord('loss', 1, 0.5));
      expect(await opened.poll()).toEqual([]);
      expect(opened.tail.stopped).toBe(true);
      expect(opened.warnings).toHaveLength(1);
      expect(opened.warnings[0]).toMatchObject({ kind: 'corrupt', file: path, offset: 0 });
      expect(opened.warnings[0]!.message).toMatch(
        new RegExp(`^${path} at offset 0: length CRC mismatch .*; skipping the rest of this file$`),
      );
    });
  });

  it('waits for a truncated last record, reads it once completed, and warns only in a one-shot read', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.growing');
      const last = tensorScalarRecord('loss', 4, 0.25);
      const head = Buffer.concat([
        versionRecord(),
        tensorScalarRecord('loss', 1, 1),
        tensorScalarRecord('loss', 2, 0.5),
      ]);
      await writeFile(path, Buffer.concat([head, last.subarray(0, 20)]));

      const oneShot = await readOnce(path);
      expect(oneShot.events.map((e) => e.step)).toEqual([1, 2]);
      expect(oneShot.warnings).toEqual([expect.objectContaining({ kind: 'truncated', offset: head.length })]);
      expect(oneShot.warnings[0]!.message).toContain(
        `${path} at offset ${head.length}: the file ends inside a record`,
      );

      const follower = openTail(path);
      expect((await follower.poll()).map((e) => e.step)).toEqual([1, 2]);
      await appendFile(path, last.subarray(20, 30));
      expect(await follower.poll()).toEqual([]);
      await appendFile(path, last.subarray(30));
      const completed = await follower.poll();
      expect(completed).toEqual([expect.objectContaining({ tag: 'loss', step: 4, value: 0.25 })]);
      expect(follower.warnings).toEqual([]);
      expect(follower.tail.offset).toBe(head.length + last.length);
    });
  });

  it('reports a bit flip in a length with its offset, keeps the records before it, and skips the rest', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.lengthflip');
      const records = [
        versionRecord(),
        simpleScalarRecord('loss', 1, 1),
        simpleScalarRecord('loss', 2, 2),
        simpleScalarRecord('loss', 3, 3),
      ];
      const bytes = Buffer.concat(records);
      const third = records[0]!.length + records[1]!.length;
      bytes[third + 1]! ^= 0x04; // a bit of the second byte of the third record's length
      await writeFile(path, bytes);
      const { events, warnings } = await readOnce(path);
      expect(events.map((e) => e.step)).toEqual([1]);
      expect(warnings).toEqual([
        expect.objectContaining({
          kind: 'corrupt',
          offset: third,
          message: expect.stringContaining('length CRC mismatch'),
        }),
      ]);
    });
  });

  it('reports a bit flip in the data with its offset, keeps the records before it, and skips the rest', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.dataflip');
      const records = [
        versionRecord(),
        tensorScalarRecord('loss', 1, 1),
        tensorScalarRecord('loss', 2, 2),
        tensorScalarRecord('loss', 3, 3),
      ];
      const bytes = Buffer.concat(records);
      const third = records[0]!.length + records[1]!.length;
      bytes[third + 12 + 5]! ^= 0x10;
      await writeFile(path, bytes);
      const { events, warnings } = await readOnce(path);
      expect(events.map((e) => e.step)).toEqual([1]);
      expect(warnings).toEqual([
        expect.objectContaining({
          kind: 'corrupt',
          file: path,
          offset: third,
          message: expect.stringMatching(
            /at offset \d+: data CRC mismatch .* skipping the rest of this file$/,
          ),
        }),
      ]);
    });
  });

  it('refuses a record claiming 4 GB without reading or allocating for it', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.huge');
      const header = Buffer.alloc(12);
      header.writeBigUInt64LE(2n ** 32n);
      header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8); // a valid length CRC: only the cap stops it
      const head = Buffer.concat([versionRecord(), simpleScalarRecord('loss', 1, 1)]);
      await writeFile(path, Buffer.concat([head, header, Buffer.alloc(64)]));
      const store = countingStore(new FileObjectStore());
      const opened = openTail(path, {}, store);
      const events = await opened.poll();
      opened.tail.reportEndOfInput();
      expect(events.map((e) => e.step)).toEqual([1]);
      expect(opened.warnings).toEqual([
        expect.objectContaining({
          kind: 'corrupt',
          offset: head.length,
          message: expect.stringContaining(
            'record claims 4294967296 bytes, more than the 67108864-byte limit',
          ),
        }),
      ]);
      // One read of what was there; nothing sized by the claim.
      expect(store.reads).toHaveLength(1);
      expect(store.reads[0]!.range!.end! - store.reads[0]!.range!.start).toBeLessThanOrEqual(
        DEFAULT_FILE_CHUNK_BYTES,
      );
      await appendFile(path, Buffer.alloc(1000));
      await opened.poll();
      expect(store.reads).toHaveLength(1);
    });
  });

  it('reads a record with an unknown protobuf field and warns once, naming the field', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.unknown');
      const withUnknown = (step: number) => unknownFieldRecord('loss', step);
      const head = versionRecord();
      await writeFile(path, Buffer.concat([head, withUnknown(1), withUnknown(2)]));
      const { events, warnings } = await readOnce(path);
      expect(events.map((e) => e.value)).toEqual([1, 2]);
      expect(warnings).toEqual([
        {
          kind: 'unknown-field',
          file: path,
          offset: head.length,
          message: `${path} at offset ${head.length}: unknown protobuf field 99 in tensorflow.Event (written by a newer TensorFlow?); ignored`,
        },
      ]);
    });
  });

  it('skips a scalar whose tensor holds a string, with one warning naming the tag and dtype, and reads the rest', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.string');
      const stringScalar = (step: number) => stringScalarRecord('status', step);
      const head = Buffer.concat([versionRecord(), tensorScalarRecord('loss', 1, 1)]);
      await writeFile(
        path,
        Buffer.concat([head, stringScalar(2), tensorScalarRecord('loss', 3, 3), stringScalar(4)]),
      );
      const { events, warnings } = await readOnce(path);
      expect(events.map((e) => [e.tag, e.step])).toEqual([
        ['loss', 1],
        ['loss', 3],
      ]);
      expect(warnings).toEqual([
        expect.objectContaining({
          kind: 'not-a-number',
          offset: head.length,
          message: `${path} at offset ${head.length}: scalar "status" at step 2 skipped: its tensor has dtype DT_STRING, not a number`,
        }),
      ]);
    });
  });

  it('skips a record whose CRCs match but which is no Event, and reads on', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.garbage');
      const head = versionRecord();
      const garbage = encodeRecord(Buffer.from([0x0f, 0xff, 0xff]));
      await writeFile(path, Buffer.concat([head, garbage, simpleScalarRecord('loss', 2, 2)]));
      const { events, warnings } = await readOnce(path);
      expect(events.map((e) => e.step)).toEqual([2]);
      expect(warnings).toEqual([expect.objectContaining({ kind: 'undecodable', offset: head.length })]);
    });
  });

  it('starts over, with a warning, when the file is replaced by a shorter one', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.replaced');
      await writeFile(
        path,
        Buffer.concat([versionRecord(), simpleScalarRecord('loss', 1, 1), simpleScalarRecord('loss', 2, 2)]),
      );
      const opened = openTail(path);
      expect(await opened.poll()).toHaveLength(2);
      await writeFile(path, Buffer.concat([versionRecord(), simpleScalarRecord('acc', 1, 0.5)]));
      expect((await opened.poll()).map((e) => e.tag)).toEqual(['acc']);
      expect(opened.warnings).toEqual([expect.objectContaining({ kind: 'rewritten', offset: 0 })]);
    });
  });
});

describe('EventFileTail on the kinds of events trainers write', () => {
  it('skips graphs, histograms and text without a word, and reads scalars around them', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.mixed');
      const histogram = record({
        wallTime: 1,
        step: 1,
        summary: {
          value: [
            {
              tag: 'weights',
              metadata: encodeMetadata({ pluginData: { pluginName: 'histograms' } }),
              tensor: {
                dtype: 2,
                tensorShape: { dim: [{ size: 2 }, { size: 3 }] },
                doubleVal: [0, 1, 2, 1, 2, 3],
              },
            },
          ],
        },
      });
      const text = record({
        wallTime: 1,
        step: 0,
        summary: {
          value: [
            {
              tag: 'keras',
              metadata: encodeMetadata({ pluginData: { pluginName: 'text' } }),
              tensor: { dtype: 7, tensorShape: {}, stringVal: [Buffer.from('{"class_name": "Sequential"}')] },
            },
          ],
        },
      });
      const graph = record({ wallTime: 1, graphDef: Buffer.from([0x0a, 0x00]) });
      await writeFile(
        path,
        Buffer.concat([versionRecord(), graph, text, histogram, tensorScalarRecord('epoch_loss', 1, 0.5)]),
      );
      const { events, warnings } = await readOnce(path);
      expect(warnings).toEqual([]);
      expect(events).toEqual([
        { run: 'train', tag: 'epoch_loss', step: 1, value: 0.5, wallTime: 1_700_000_001, file: path },
      ]);
    });
  });

  it('reads float_val, double_val, half_val and int64_val scalars, and later values whose metadata was stripped', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'events.out.tfevents.dtypes');
      const scalars = encodeMetadata({ pluginData: { pluginName: 'scalars' } });
      const doubleContent = Buffer.alloc(8);
      doubleContent.writeDoubleLE(0.1);
      const value = (tag: string, step: number, tensor: object, metadata?: Uint8Array) =>
        record({
          wallTime: 1,
          step,
          summary: { value: [{ tag, ...(metadata ? { metadata } : {}), tensor: tensor as never }] },
        });
      await writeFile(
        path,
        Buffer.concat([
          value('f', 1, { dtype: 1, floatVal: [1.5] }, scalars),
          value('f', 2, { dtype: 1, floatVal: [2.5] }), // no metadata: TF1's FileWriter keeps it on the first value only
          value('d', 1, { dtype: 2, doubleVal: [0.1] }, scalars),
          value('d', 2, { dtype: 2, tensorContent: doubleContent }),
          value('h', 1, { dtype: 19, halfVal: [0x3c00] }, scalars), // 1.0 in IEEE half precision
          value('i', 1, { dtype: 9, int64Val: [42] }, scalars),
          value('unclaimed', 1, { dtype: 1, floatVal: [9] }), // no plugin ever named: not a scalar series
        ]),
      );
      const { events, warnings } = await readOnce(path);
      expect(warnings).toEqual([]);
      expect(events.map((e) => [e.tag, e.step, e.value])).toEqual([
        ['f', 1, 1.5],
        ['f', 2, 2.5],
        ['d', 1, 0.1],
        ['d', 2, 0.1],
        ['h', 1, 1],
        ['i', 1, 42],
      ]);
    });
  });

  it('leaves the buffers a store hands out untouched (an in-memory store keeps and reuses them)', async () => {
    const kept = await readFile(FIXTURE);
    const copy = Buffer.from(kept);
    const memory = new FileObjectStore();
    memory.read = async (_key, range) => kept.subarray(range?.start ?? 0, range?.end ?? kept.length);
    const opened = openTail(FIXTURE, {}, memory);
    expect(await opened.poll()).toHaveLength(2520);
    expect(kept.equals(copy)).toBe(true);
  });
});
