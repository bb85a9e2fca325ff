/**
 * Many jobs' control folders read with one listing per bucket: objects put by
 * the real `@google-cloud/storage` client into the fake Cloud Storage, the
 * listings counted at the fake, each job's snapshot checked against its own
 * folder only (not its neighbours', not its run dir's checkpoints).
 */

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type ControlFolderRef,
  ControlReader,
  MAX_FOLDERS_PER_LISTING,
  readControlFolders,
} from '../../../../src/providers/machines/control.ts';
import { type FakeGcs, startFakeGcs } from '../../../../src/testing/fake-gcs/index.ts';

let gcs: FakeGcs;
let storage: Storage;
const listings: URLSearchParams[] = [];

beforeAll(async () => {
  gcs = await startFakeGcs({
    buckets: ['runs-a', 'runs-b'],
    onRequest: ({ method, url }) => {
      const parsed = new URL(url, 'http://fake');
      if (method === 'GET' && /^\/storage\/v1\/b\/[^/]+\/o$/.test(parsed.pathname))
        listings.push(parsed.searchParams);
    },
  });
  storage = new Storage({ apiEndpoint: gcs.endpoint, projectId: 'p' });
});
afterAll(() => gcs.close());
beforeEach(() => {
  listings.length = 0;
});

const put = (bucket: string, name: string, text: string) =>
  storage.bucket(bucket).file(name).save(text, { resumable: false });
const exit = (replica: string, exitCode: number) => JSON.stringify({ replica, exitCode, endedAt: 't' });
const folder = (uri: string): ControlFolderRef => ({ uri, storage: { storageEndpoint: gcs.endpoint } });
/** The fake logs a request when its answer is done: let the last ones land. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('readControlFolders', () => {
  it('GIVEN three jobs in one bucket and one in another THEN one listing per bucket, each job sees only its folder', async () => {
    await Promise.all([
      put('runs-a', 'runs/a/attempts/1/worker-0.log', 'a\n'),
      put('runs-a', 'runs/a/attempts/1/worker-0.exit.json', exit('worker-0', 0)),
      put('runs-a', 'runs/a/attempts/2/worker-0.log', 'a later attempt\n'),
      put('runs-a', 'runs/a/checkpoints/ckpt-1.index', 'not control'),
      put('runs-a', 'runs/a/attempts/1/nested/worker-9.log', 'deeper: not a control object'),
      put('runs-a', 'runs/ab/attempts/1/chief-0.log', 'ab\n'),
      put('runs-a', 'runs/ab/attempts/1/strato-ab-a1-chief-0.boot.json', '{}'),
      put('runs-a', 'x/b/attempts/2/tpu-host-0.boot.json', '{}'),
      put('runs-a', 'x/b/attempts/2/cancelled.json', JSON.stringify({ reason: 'user', at: 'now' })),
      put('runs-b', 'solo/attempts/1/worker-0.exit.json', exit('worker-0', 143)),
    ]);
    const snapshots = await readControlFolders(new ControlReader(), [
      folder('gs://runs-a/runs/a/attempts/1'),
      folder('gs://runs-b/solo/attempts/1/'),
      folder('gs://runs-a/runs/ab/attempts/1/'),
      folder('gs://runs-a/x/b/attempts/2/'),
      folder('gs://runs-a/runs/empty/attempts/1/'),
    ]);
    const [a, solo, ab, b, empty] = snapshots;
    expect([...a!.logs.keys()]).toEqual(['worker-0']);
    expect(a!.exits.get('worker-0')).toMatchObject({ exitCode: 0 });
    expect([...a!.booted]).toEqual([]);
    expect([...ab!.logs.keys()]).toEqual(['chief-0']);
    expect([...ab!.booted]).toEqual(['strato-ab-a1-chief-0']);
    expect(ab!.exits.size).toBe(0);
    expect([...b!.booted]).toEqual(['tpu-host-0']);
    expect(b!.cancelled).toEqual({ reason: 'user', at: 'now' });
    expect(a!.cancelled).toBeUndefined();
    expect(solo!.exits.get('worker-0')).toMatchObject({ exitCode: 143 });
    expect(empty).toEqual({ logs: new Map(), exits: new Map(), booted: new Set() });

    await settle();
    expect(listings).toHaveLength(2);
    const many = listings.find((q) => q.has('matchGlob'))!;
    // `runs/…` and `x/…` share nothing: the whole bucket, narrowed by the glob alone.
    expect(many.get('prefix')).toBeNull();
    expect(many.get('matchGlob')).toBe(
      '{runs/a/attempts/1/,runs/ab/attempts/1/,runs/empty/attempts/1/,x/b/attempts/2/}*',
    );
    // The other bucket's single folder: a plain listing by its prefix.
    expect(listings.find((q) => !q.has('matchGlob'))!.get('prefix')).toBe('solo/attempts/1/');
  });

  it('lists by the folders’ longest common prefix', async () => {
    await readControlFolders(new ControlReader(), [
      folder('gs://runs-a/runs/a/attempts/1/'),
      folder('gs://runs-a/runs/ab/attempts/1/'),
    ]);
    await settle();
    expect(listings.map((q) => q.get('prefix'))).toEqual(['runs/a']);
  });

  it(`GIVEN more than ${MAX_FOLDERS_PER_LISTING} folders in a bucket THEN one more listing per ${MAX_FOLDERS_PER_LISTING}`, async () => {
    const count = MAX_FOLDERS_PER_LISTING + 3;
    const names = Array.from({ length: count }, (_, i) => `many/j${String(i).padStart(3, '0')}/attempts/1/`);
    await Promise.all(names.map((name, i) => put('runs-a', `${name}worker-${i}.log`, 'x\n')));
    const snapshots = await readControlFolders(
      new ControlReader(),
      names.map((name) => folder(`gs://runs-a/${name}`)),
    );
    expect(snapshots.map((s) => [...s.logs.keys()])).toEqual(names.map((_, i) => [`worker-${i}`]));
    await settle();
    expect(listings.map((q) => q.get('matchGlob')?.split(',').length)).toEqual([MAX_FOLDERS_PER_LISTING, 3]);
  });

  it('GIVEN a service that refuses the glob THEN each folder is listed by its prefix, with the same answer', async () => {
    await put('runs-a', 'refused/a/attempts/1/worker-0.log', 'x\n');
    await put('runs-a', 'refused/b/attempts/1/worker-1.exit.json', exit('worker-1', 3));
    gcs.faults.add({ method: 'GET', path: 'matchGlob', fault: { status: 400 } });
    try {
      const [a, b] = await readControlFolders(new ControlReader(), [
        folder('gs://runs-a/refused/a/attempts/1/'),
        folder('gs://runs-a/refused/b/attempts/1/'),
      ]);
      expect([...a!.logs.keys()]).toEqual(['worker-0']);
      expect(b!.exits.get('worker-1')).toMatchObject({ exitCode: 3 });
    } finally {
      gcs.faults.clear();
    }
    await settle();
    expect(listings.map((q) => q.get('prefix')).sort()).toEqual([
      'refused/',
      'refused/a/attempts/1/',
      'refused/b/attempts/1/',
    ]);
  });

  it('GIVEN a folder whose name holds glob characters THEN it is listed by itself, by prefix', async () => {
    await put('runs-a', 'odd/{x,y}[1]/attempts/1/worker-0.log', 'x\n');
    await put('runs-a', 'odd/plain/attempts/1/worker-1.log', 'x\n');
    const [odd, plain, again] = await readControlFolders(new ControlReader(), [
      folder('gs://runs-a/odd/{x,y}[1]/attempts/1/'),
      folder('gs://runs-a/odd/plain/attempts/1/'),
      folder('gs://runs-a/odd/plain/attempts/1/'),
    ]);
    expect([...odd!.logs.keys()]).toEqual(['worker-0']);
    expect([...plain!.logs.keys()]).toEqual(['worker-1']);
    expect(again).toBe(plain);
    await settle();
    expect(listings.map((q) => q.get('prefix')).sort()).toEqual([
      'odd/plain/attempts/1/',
      'odd/{x,y}[1]/attempts/1/',
    ]);
  });
});
