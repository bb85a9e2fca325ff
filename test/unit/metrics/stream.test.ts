import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { sleep } from '../../../src/internal/sleep.ts';
import { followRunMetrics } from '../../../src/metrics/stream.ts';
import type { MetricEvent } from '../../../src/metrics/types.ts';
import { EventFileWriter } from '../../../src/metrics/writer.ts';
import { FileObjectStore } from '../../../src/storage/file-store.ts';
import {
  collectWarnings,
  countingStore,
  FIXTURE,
  seededBytes,
  tensorScalarRecord,
  versionRecord,
  withTempDir,
} from '../../support/event-files.ts';

async function collect(stream: AsyncIterable<MetricEvent>): Promise<MetricEvent[]> {
  const events: MetricEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

/** A run dir as the Keras TensorBoard callback leaves it: logs/train and logs/validation. */
async function kerasRunDir(dir: string): Promise<void> {
  const train = await EventFileWriter.create(join(dir, 'logs', 'train'));
  const validation = await EventFileWriter.create(join(dir, 'logs', 'validation'));
  for (let epoch = 0; epoch < 3; epoch++) {
    train.addScalar('epoch_loss', 1 - epoch / 10, epoch, 1000 + epoch);
    validation.addScalar('epoch_loss', 1.1 - epoch / 10, epoch, 1000 + epoch);
  }
  await Promise.all([train.close(), validation.close()]);
  await mkdir(join(dir, 'checkpoints'), { recursive: true });
  await writeFile(join(dir, 'checkpoints', 'ckpt-1.index'), 'not an event file');
}

describe('followRunMetrics', () => {
  it('reads a run dir’s logs/ folder, naming each run after its sub-folder', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(dir);
      const events = await collect(followRunMetrics(dir));
      expect(events.map((e) => `${e.run}:${e.step}`)).toEqual([
        'train:0',
        'train:1',
        'train:2',
        'validation:0',
        'validation:1',
        'validation:2',
      ]);
      expect(events[3]!.file).toMatch(/\/logs\/validation\/events\.out\.tfevents\.\d{10}\.[^/]+\.v2$/);
    });
  });

  it('takes the run dir as a file:// URI, or relative to storeOptions.baseDir', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(join(dir, 'run'));
      expect(await collect(followRunMetrics(pathToFileURL(join(dir, 'run')).href))).toHaveLength(6);
      expect(await collect(followRunMetrics('run', { storeOptions: { baseDir: dir } }))).toHaveLength(6);
    });
  });

  it('reads a folder without logs/ as the logs themselves, and a single event file with run ""', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(dir);
      const fromLogs = await collect(followRunMetrics(join(dir, 'logs', 'validation')));
      expect(new Set(fromLogs.map((e) => e.run))).toEqual(new Set(['']));
      const single = await collect(followRunMetrics(FIXTURE));
      expect(single).toHaveLength(2520);
      expect(single[0]!.run).toBe('');
    });
  });

  it('fails with E_NOT_FOUND for a local path that does not exist', async () => {
    await withTempDir(async (dir) => {
      await expect(collect(followRunMetrics(join(dir, 'nope')))).rejects.toMatchObject({
        code: 'E_NOT_FOUND',
        message: `${join(dir, 'nope')} does not exist`,
      });
    });
  });

  it('keeps reading the other files when one is corrupt, and reports the bad one once', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(dir);
      const bad = join(dir, 'logs', 'eval', 'events.out.tfevents.1.broken');
      await mkdir(join(dir, 'logs', 'eval'));
      await writeFile(bad, seededBytes(300, 3));
      const { warnings, onWarning } = collectWarnings();
      const events = await collect(followRunMetrics(dir, { onWarning }));
      expect(events).toHaveLength(6);
      expect(warnings).toEqual([expect.objectContaining({ kind: 'corrupt', file: bad, offset: 0 })]);
    });
  });

  it('follows a growing file, reading only the new bytes on each poll, until aborted', async () => {
    await withTempDir(async (dir) => {
      const path = join(dir, 'logs', 'train', 'events.out.tfevents.1.live');
      await mkdir(join(dir, 'logs', 'train'), { recursive: true });
      await writeFile(path, Buffer.concat([versionRecord(), tensorScalarRecord('batch_loss', 1, 0.9)]));
      const store = countingStore(new FileObjectStore());
      const controller = new AbortController();
      const { warnings, onWarning } = collectWarnings();
      const seen: MetricEvent[] = [];
      const next = tensorScalarRecord('batch_loss', 2, 0.8);
      for await (const event of followRunMetrics(dir, {
        follow: true,
        pollIntervalMs: 10,
        signal: controller.signal,
        store,
        onWarning,
      })) {
        seen.push(event);
        if (seen.length === 1) {
          // Half a record first: the follower must wait for the rest, not complain.
          await appendFile(path, next.subarray(0, 9));
          setTimeout(() => void appendFile(path, next.subarray(9)), 50);
        } else {
          controller.abort();
        }
      }
      expect(seen.map((e) => [e.run, e.step, e.value])).toEqual([
        ['train', 1, Math.fround(0.9)],
        ['train', 2, Math.fround(0.8)],
      ]);
      expect(warnings).toEqual([]);
      const total = store.reads.reduce((sum, r) => sum + r.bytes, 0);
      const fileSize = versionRecord().length + tensorScalarRecord('batch_loss', 1, 0.9).length + next.length;
      expect(total).toBe(fileSize); // every byte read once, no rereads from the start
      expect(store.reads.length).toBeGreaterThanOrEqual(2);
    });
  });

  it('stops polling, and reading, once the consumer stops iterating', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(dir);
      const store = countingStore(new FileObjectStore());
      for await (const _ of followRunMetrics(dir, { follow: true, pollIntervalMs: 5, store })) break;
      const readsAtBreak = store.reads.length;
      await sleep(60);
      await appendFile(join(dir, 'logs', 'train', 'events.out.tfevents.9.late'), versionRecord());
      await sleep(60);
      expect(store.reads.length).toBe(readsAtBreak);
    });
  });

  it('ends quietly when the signal aborts between polls', async () => {
    await withTempDir(async (dir) => {
      await kerasRunDir(dir);
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 30);
      const started = Date.now();
      const events = await collect(
        followRunMetrics(dir, { follow: true, pollIntervalMs: 60_000, signal: controller.signal }),
      );
      expect(events).toHaveLength(6);
      expect(Date.now() - started).toBeLessThan(5000);
    });
  });

  it('waits in follow mode for a run dir that has no logs yet', async () => {
    await withTempDir(async (dir) => {
      const controller = new AbortController();
      const stream = followRunMetrics(join(dir, 'later'), {
        follow: true,
        pollIntervalMs: 10,
        signal: controller.signal,
      });
      setTimeout(() => void kerasRunDir(join(dir, 'later')), 30);
      const seen: MetricEvent[] = [];
      for await (const event of stream) {
        seen.push(event);
        if (seen.length === 6) controller.abort();
      }
      expect(seen.map((e) => e.run)).toContain('validation');
    });
  });
});
