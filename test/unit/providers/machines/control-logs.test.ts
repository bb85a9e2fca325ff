/**
 * The control folder as VMs write it — objects put by the real
 * `@google-cloud/storage` client into the fake Cloud Storage — read back by
 * one listing (exit records opened once) and followed as logs.
 */

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ControlReader,
  openControlFolder,
  writeCancelMarker,
} from '../../../../src/providers/machines/control.ts';
import { readMachineLogs } from '../../../../src/providers/machines/logs.ts';
import type { LogLine } from '../../../../src/providers/types.ts';
import { type FakeGcs, startFakeGcs } from '../../../../src/testing/fake-gcs/index.ts';

let gcs: FakeGcs;
let bucket: ReturnType<Storage['bucket']>;
const run = 'gs://runs/jobs/demo';

beforeAll(async () => {
  gcs = await startFakeGcs({ buckets: ['runs'] });
  bucket = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'p' }).bucket('runs');
});
afterAll(() => gcs.close());

const put = (name: string, text: string) => bucket.file(`jobs/demo/${name}`).save(text, { resumable: false });

describe('ControlReader', () => {
  it('GIVEN boots, logs and exits THEN one listing names them, and an exit record is read only once', async () => {
    await put(
      'attempts/1/strato-demo-a1-worker-0.boot.json',
      JSON.stringify({ host: 'strato-demo-a1-worker-0', startedAt: 'x' }),
    );
    await put('attempts/1/worker-0.log', 'hello\n');
    await put(
      'attempts/1/worker-0.exit.json',
      JSON.stringify({ replica: 'worker-0', exitCode: 3, endedAt: 't', lastLines: ['boom'] }),
    );
    await put('attempts/2/worker-0.log', 'not this attempt\n');
    const { store, prefix } = await openControlFolder(`${run}/attempts/1/`, {
      storageEndpoint: gcs.endpoint,
    });
    const reader = new ControlReader();
    const first = await reader.read(store, prefix);
    expect([...first.booted]).toEqual(['strato-demo-a1-worker-0']);
    expect([...first.logs.keys()]).toEqual(['worker-0']);
    expect(first.exits.get('worker-0')).toMatchObject({ exitCode: 3, lastLines: ['boom'] });
    expect(first.cancelled).toBeUndefined();

    // A second look lists again but opens nothing: the exit record's generation is known.
    const reads: string[] = [];
    const counting = {
      ...store,
      list: store.list.bind(store),
      read: async (key: string, range?: never) => {
        reads.push(key);
        return store.read(key, range);
      },
    };
    await reader.read(counting as typeof store, prefix);
    expect(reads).toEqual([]);
  });

  it('GIVEN a cancel THEN the marker is read back, and a second cancel keeps the first reason', async () => {
    const { store, prefix } = await openControlFolder(`${run}/attempts/3/`, {
      storageEndpoint: gcs.endpoint,
    });
    await writeCancelMarker(store, prefix, 'by request');
    await writeCancelMarker(store, prefix, 'again');
    expect((await new ControlReader().read(store, prefix)).cancelled).toMatchObject({ reason: 'by request' });
  });
});

describe('readMachineLogs', () => {
  it('GIVEN growing logs over two attempts THEN following yields each line once, in attempt order, until the job ends', async () => {
    const prefixRun = 'gs://runs/jobs/follow';
    const write = (name: string, text: string) =>
      bucket.file(`jobs/follow/attempts/${name}`).save(text, { resumable: false });
    await write('1/worker-0.log', 'one\ntw');
    const { store, prefix } = await openControlFolder(`${prefixRun}/attempts/`, {
      storageEndpoint: gcs.endpoint,
    });
    let ended = false;
    const lines: LogLine[] = [];
    const reading = (async () => {
      for await (const line of readMachineLogs(
        { store, prefix, ended: async () => ended },
        { follow: true, pollIntervalMs: 20 },
      ))
        lines.push(line);
    })();
    await new Promise((r) => setTimeout(r, 150));
    expect(lines.map((l) => l.text)).toEqual(['one']);
    await write('1/worker-0.log', 'one\ntwo\n');
    await write('2/worker-0.log', 'three\n');
    await new Promise((r) => setTimeout(r, 150));
    await write('2/worker-0.log', 'three\nfour');
    ended = true;
    await reading;
    expect(lines.map((l) => `${l.replica}: ${l.text}`)).toEqual([
      'worker-0: one',
      'worker-0: two',
      'worker-0: three',
      'worker-0: four',
    ]);
  });

  it('GIVEN tail THEN only the last lines of each replica, then nothing more when not following', async () => {
    const write = (name: string, text: string) =>
      bucket.file(`jobs/tail/attempts/${name}`).save(text, { resumable: false });
    await write('1/worker-0.log', 'a\nb\nc\n');
    await write('1/worker-1.log', 'x\ny\n');
    const { store, prefix } = await openControlFolder('gs://runs/jobs/tail/attempts/', {
      storageEndpoint: gcs.endpoint,
    });
    const lines: string[] = [];
    for await (const line of readMachineLogs({ store, prefix, ended: async () => false }, { tail: 1 }))
      lines.push(`${line.replica}: ${line.text}`);
    expect(lines).toEqual(['worker-0: c', 'worker-1: y']);
  });
});
