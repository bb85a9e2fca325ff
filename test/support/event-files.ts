/** Builders for event files in tests: records from Event objects, stores that count what they read. */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { createEventCodec, type EventInit, encodeMetadata } from '../../src/metrics/event-codec.ts';
import { encodeRecord } from '../../src/metrics/tfrecord.ts';
import type { MetricsWarning } from '../../src/metrics/types.ts';
import type { ByteRange, ObjectStore } from '../../src/storage/types.ts';

const codec = createEventCodec();

export const FIXTURE = new URL('../fixtures/tfevents/events.out.tfevents.lingvo-test', import.meta.url)
  .pathname;

export function eventBytes(event: EventInit): Uint8Array {
  return codec.encode(event);
}

export function record(event: EventInit): Buffer {
  return encodeRecord(eventBytes(event));
}

export const versionRecord = () => record({ wallTime: 1_700_000_000, fileVersion: 'brain.Event:2' });

/** A TF2-style scalar (rank-0 DT_FLOAT tensor with `tensor_content`, plugin "scalars"). */
export function tensorScalarRecord(
  tag: string,
  step: number,
  value: number,
  wallTime = 1_700_000_000 + step,
): Buffer {
  const content = Buffer.alloc(4);
  content.writeFloatLE(value);
  return record({
    wallTime,
    step,
    summary: {
      value: [
        {
          tag,
          metadata: encodeMetadata({ pluginData: { pluginName: 'scalars' }, dataClass: 1 }),
          tensor: { dtype: 1, tensorShape: {}, tensorContent: content },
        },
      ],
    },
  });
}

export function simpleScalarRecord(
  tag: string,
  step: number,
  value: number,
  wallTime = 1_700_000_000 + step,
): Buffer {
  return record({ wallTime, step, summary: { value: [{ tag, simpleValue: value }] } });
}

/** A TF1 simple_value event followed by field 99, which no Event has: an unknown field to report. */
export function unknownFieldRecord(tag: string, step: number): Buffer {
  const field99 = protobuf.Writer.create()
    .uint32((99 << 3) | 0)
    .uint32(1)
    .finish();
  return encodeRecord(
    Buffer.concat([
      eventBytes({ wallTime: 1, step, summary: { value: [{ tag, simpleValue: step }] } }),
      field99,
    ]),
  );
}

/** A scalar-plugin value whose tensor holds a string: not a number. */
export function stringScalarRecord(tag: string, step: number): Buffer {
  return record({
    wallTime: 1,
    step,
    summary: {
      value: [
        {
          tag,
          metadata: encodeMetadata({ pluginData: { pluginName: 'scalars' } }),
          tensor: { dtype: 7, tensorShape: {}, stringVal: [Buffer.from('fine')] },
        },
      ],
    },
  });
}

/** Makes a temporary folder and removes it after the test. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'strato-metrics-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Wraps a store and records every ranged read. */
export function countingStore(
  inner: ObjectStore,
): ObjectStore & { reads: { key: string; range?: ByteRange; bytes: number }[] } {
  const reads: { key: string; range?: ByteRange; bytes: number }[] = [];
  return {
    scheme: inner.scheme,
    bucket: inner.bucket,
    reads,
    list: (options) => inner.list(options),
    stat: (key) => inner.stat(key),
    async read(key, range) {
      const data = await inner.read(key, range);
      reads.push({ key, ...(range ? { range } : {}), bytes: data.length });
      return data;
    },
    readStream: (key, range) => inner.readStream(key, range),
    write: (key, data, options) => inner.write(key, data, options),
    delete: (key) => inner.delete(key),
  };
}

export function collectWarnings(): { warnings: MetricsWarning[]; onWarning: (w: MetricsWarning) => void } {
  const warnings: MetricsWarning[] = [];
  return { warnings, onWarning: (w) => warnings.push(w) };
}

/** Deterministic pseudo-random bytes (a linear congruential generator), so failures reproduce. */
export function seededBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}
