import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createEventCodec, createEventReader } from '../../../src/metrics/event-codec.ts';
import { EventFileTail } from '../../../src/metrics/event-file-tail.ts';
import { scanRecords } from '../../../src/metrics/record-scanner.ts';
import type { MetricEvent } from '../../../src/metrics/types.ts';
import { EventFileWriter, eventFileName } from '../../../src/metrics/writer.ts';
import { FileObjectStore, fileKey } from '../../../src/storage/file-store.ts';
import { withTempDir } from '../../support/event-files.ts';

const NOW_MS = 1_700_000_123_456;

/** Every Event in a file, decoded. */
async function decodeFile(path: string) {
  const buf = await readFile(path);
  const codec = createEventCodec();
  const reader = createEventReader(buf);
  const events: ReturnType<typeof codec.decode>[] = [];
  const { stop } = scanRecords(buf, 0, (start, end) => {
    reader.pos = start;
    reader.len = end;
    events.push(codec.decode(reader));
    return true;
  });
  expect(stop.kind).toBe('end');
  return events;
}

async function readScalars(path: string): Promise<MetricEvent[]> {
  const tail = new EventFileTail(new FileObjectStore(), fileKey(path), path, '');
  const events: MetricEvent[] = [];
  for await (const batch of tail.read((await stat(path)).size)) events.push(...batch);
  return events;
}

describe('EventFileWriter', () => {
  it('names files as TF2 does: events.out.tfevents.<10-digit seconds>.<host>.<pid>.<n>.v2', () => {
    expect(eventFileName(1_700_000_123, 'trainer-0', 4242, 0)).toBe(
      'events.out.tfevents.1700000123.trainer-0.4242.0.v2',
    );
    expect(eventFileName(12, 'h', 1, 3)).toBe('events.out.tfevents.0000000012.h.1.3.v2');
  });

  it('creates the folder and a file whose first record is file_version "brain.Event:2"', async () => {
    await withTempDir(async (dir) => {
      const logDir = join(dir, 'logs', 'train');
      const writer = await EventFileWriter.create(logDir, { hostname: 'box', pid: 7, now: () => NOW_MS });
      expect(writer.path).toBe(join(logDir, 'events.out.tfevents.1700000123.box.7.0.v2'));
      // Written and flushed at once, before any scalar, as TensorFlow does.
      const [first, ...rest] = await decodeFile(writer.path);
      expect(first).toMatchObject({ fileVersion: 'brain.Event:2', wallTime: 1_700_000_123 });
      expect(rest).toEqual([]);
      await writer.close();
    });
  });

  it('writes scalars as TF2 and Keras do: a rank-0 DT_FLOAT tensor_content with the "scalars" plugin', async () => {
    await withTempDir(async (dir) => {
      const writer = await EventFileWriter.create(dir, { now: () => NOW_MS });
      writer.addScalar('epoch_loss', 0.75, 3);
      await writer.close();
      const [, event] = await decodeFile(writer.path);
      expect(event!.wallTime).toBeCloseTo(NOW_MS / 1000, 6);
      expect(Number(event!.step)).toBe(3);
      const value = event!.summary!.value[0]!;
      expect(value.tag).toBe('epoch_loss');
      expect(value.simpleValue).toBeUndefined();
      expect(value.tensor).toMatchObject({ dtype: 1 });
      expect(value.tensor!.tensorShape!.dim).toEqual([]);
      expect(Buffer.from(value.tensor!.tensorContent).readFloatLE(0)).toBe(0.75);
      const metadata = createEventCodec().decodeMetadata(value.metadata!);
      expect(metadata.pluginData?.pluginName).toBe('scalars');
      expect(metadata.dataClass).toBe(1);
    });
  });

  it('writes TF1 simple_value scalars when asked', async () => {
    await withTempDir(async (dir) => {
      const writer = await EventFileWriter.create(dir, { scalarFormat: 'simple_value' });
      writer.addScalar('loss', 0.5, 10, 1234.5);
      await writer.close();
      const [, event] = await decodeFile(writer.path);
      expect(event!.summary!.value[0]).toMatchObject({
        tag: 'loss',
        simpleValue: 0.5,
        tensor: null,
        metadata: null,
      });
      expect(event!.wallTime).toBe(1234.5);
    });
  });

  it('round-trips Keras-layout logs through the reader, as float32 values', async () => {
    await withTempDir(async (dir) => {
      const writer = await EventFileWriter.create(pathToFileURL(join(dir, 'logs', 'validation')).href);
      for (let epoch = 0; epoch < 5; epoch++) {
        writer.addScalar('epoch_loss', 1 / (epoch + 1), epoch, 100 + epoch);
        writer.addScalar('epoch_accuracy', epoch / 5, epoch, 100 + epoch);
      }
      await writer.flush();
      const events = await readScalars(writer.path);
      await writer.close();
      expect(events).toHaveLength(10);
      expect(events[2]).toEqual({
        run: '',
        tag: 'epoch_loss',
        step: 1,
        value: Math.fround(0.5),
        wallTime: 101,
        file: writer.path,
      });
      expect(events.filter((e) => e.tag === 'epoch_accuracy').map((e) => e.value)).toEqual(
        [0, 0.2, 0.4, 0.6, 0.8].map(Math.fround),
      );
    });
  });

  it('gives two writers opened in the same second of one process different files', async () => {
    await withTempDir(async (dir) => {
      const options = { hostname: 'h', pid: 1, now: () => NOW_MS };
      const a = await EventFileWriter.create(dir, options);
      const b = await EventFileWriter.create(dir, options);
      expect(basename(a.path)).toBe('events.out.tfevents.1700000123.h.1.0.v2');
      expect(basename(b.path)).toBe('events.out.tfevents.1700000123.h.1.1.v2');
      await Promise.all([a.close(), b.close()]);
      expect((await readdir(dir)).sort()).toEqual([basename(a.path), basename(b.path)]);
    });
  });

  it('keeps scalars in memory until flushed, then appends them', async () => {
    await withTempDir(async (dir) => {
      const writer = await EventFileWriter.create(dir);
      const afterVersion = (await stat(writer.path)).size;
      writer.addScalar('loss', 1, 1);
      expect((await stat(writer.path)).size).toBe(afterVersion);
      await writer.flush();
      expect((await stat(writer.path)).size).toBeGreaterThan(afterVersion);
      await writer.close();
      await writer.close(); // a second close is a no-op
    });
  });

  it('refuses bad input with usage errors, and writes after close', async () => {
    await withTempDir(async (dir) => {
      const writer = await EventFileWriter.create(dir);
      expect(() => writer.addScalar('', 1, 1)).toThrow(expect.objectContaining({ code: 'E_USAGE' }));
      expect(() => writer.addScalar('loss', 1, 1.5)).toThrow(/step of "loss" must be an integer; got 1.5/);
      await writer.close();
      expect(() => writer.addScalar('loss', 1, 2)).toThrow(/is closed/);
    });
  });

  it('refuses a gs:// log dir with E_UNSUPPORTED', async () => {
    await expect(EventFileWriter.create('gs://bucket/logs')).rejects.toMatchObject({ code: 'E_UNSUPPORTED' });
  });
});
