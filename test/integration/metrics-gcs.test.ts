import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { followRunMetrics } from '../../src/metrics/stream.ts';
import type { MetricEvent } from '../../src/metrics/types.ts';
import { GcsObjectStore } from '../../src/storage/gcs/store.ts';
import { type FakeGcs, startFakeGcs } from '../../src/testing/fake-gcs/server.ts';
import {
  collectWarnings,
  countingStore,
  simpleScalarRecord,
  tensorScalarRecord,
  versionRecord,
} from '../support/event-files.ts';

describe('metrics from gs:// through the fake Cloud Storage', () => {
  let gcs: FakeGcs;
  let store: GcsObjectStore;

  beforeAll(async () => {
    gcs = await startFakeGcs({ buckets: ['runs'] });
    store = new GcsObjectStore('runs', { apiEndpoint: gcs.endpoint });
  });

  afterAll(async () => {
    await store?.close();
    await gcs?.close();
  });

  it('reads every run of a run dir in a bucket, naming files by their gs:// URI', async () => {
    await store.write(
      'job-1/logs/train/events.out.tfevents.1.a.1.0.v2',
      Buffer.concat([versionRecord(), tensorScalarRecord('epoch_loss', 0, 0.5)]),
    );
    await store.write(
      'job-1/logs/validation/events.out.tfevents.1.a.1.1.v2',
      Buffer.concat([versionRecord(), simpleScalarRecord('epoch_loss', 0, 0.75)]),
    );
    await store.write('job-1/checkpoints/ckpt-1.index', Buffer.from('not events'));
    const events: MetricEvent[] = [];
    for await (const event of followRunMetrics('gs://runs/job-1', {
      storeOptions: { gcs: { apiEndpoint: gcs.endpoint } },
    })) {
      events.push(event);
    }
    expect(events).toEqual([
      expect.objectContaining({
        run: 'train',
        tag: 'epoch_loss',
        value: 0.5,
        file: 'gs://runs/job-1/logs/train/events.out.tfevents.1.a.1.0.v2',
      }),
      expect.objectContaining({ run: 'validation', tag: 'epoch_loss', value: 0.75 }),
    ]);
  });

  it('follows an object the trainer rewrites longer, fetching only the new bytes with ranged reads', async () => {
    const key = 'job-2/logs/train/events.out.tfevents.2.a.1.0.v2';
    const first = Buffer.concat([versionRecord(), tensorScalarRecord('batch_loss', 1, 0.9)]);
    const more = Buffer.concat([
      tensorScalarRecord('batch_loss', 2, 0.8),
      tensorScalarRecord('batch_loss', 3, 0.7),
    ]);
    await store.write(key, first);
    const counting = countingStore(store);
    const controller = new AbortController();
    const { warnings, onWarning } = collectWarnings();
    const steps: number[] = [];
    for await (const event of followRunMetrics('gs://runs/job-2', {
      follow: true,
      pollIntervalMs: 20,
      signal: controller.signal,
      store: counting,
      onWarning,
    })) {
      steps.push(event.step);
      // TensorFlow's GCS writer replaces the object with a longer one on each flush.
      if (steps.length === 1) await store.write(key, Buffer.concat([first, more]));
      if (steps.length === 3) controller.abort();
    }
    expect(steps).toEqual([1, 2, 3]);
    expect(warnings).toEqual([]);
    expect(counting.reads.map((r) => [r.range?.start, r.bytes])).toEqual([
      [0, first.length],
      [first.length, more.length],
    ]);
  });
});
