import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore, fileKey } from '../../../../src/storage/file-store.ts';
import { GcsObjectStore } from '../../../../src/storage/gcs/store.ts';
import { listTree } from '../../../../src/storage/sync/list-tree.ts';
import type { ListOptions, ListPage, ObjectStore } from '../../../../src/storage/types.ts';
import { type FakeGcs, startFakeGcs } from '../../../../src/testing/index.ts';

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'strato-list-tree-'));
  for (const rel of ['only/a/1', 'only/a/2', 'only/b/1', 'only/c', 'only/b/deep/x']) {
    mkdirSync(join(root, rel, '..'), { recursive: true });
    writeFileSync(join(root, rel), rel);
  }
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A file store that records the listings asked of it. */
function recording(): ObjectStore & { calls: ListOptions[] } {
  const inner = new FileObjectStore();
  const calls: ListOptions[] = [];
  return Object.assign(Object.create(inner) as ObjectStore, {
    calls,
    list(options: ListOptions = {}): Promise<ListPage> {
      calls.push(options);
      return inner.list(options);
    },
  });
}

describe('listing a tree', () => {
  it('finds every object, descending through a single folder and listing the folders below it apart', async () => {
    const store = recording();
    const prefix = `${fileKey(root)}/`;
    const keys = (await listTree(store, prefix)).map((o) => o.key.slice(prefix.length)).sort();
    expect(keys).toEqual(['only/a/1', 'only/a/2', 'only/b/1', 'only/b/deep/x', 'only/c']);
    const delimited = store.calls
      .filter((c) => c.delimiter === '/')
      .map((c) => c.prefix?.slice(prefix.length));
    expect(delimited).toEqual(['', 'only/']);
    const whole = store.calls
      .filter((c) => !c.delimiter)
      .map((c) => c.prefix?.slice(prefix.length))
      .sort();
    expect(whole).toEqual(['only/a/', 'only/b/']);
  });
});

describe('listing a tree in key ranges (gs://)', () => {
  let fake: FakeGcs;
  let gcs: GcsObjectStore;
  beforeAll(async () => {
    fake = await startFakeGcs({ buckets: [{ name: 'tree' }] });
    gcs = new GcsObjectStore('tree', { apiEndpoint: fake.endpoint });
  });
  afterAll(async () => {
    await gcs.close();
    await fake.close();
  });

  it('lists 40 folders in as many ranges as listings run at once, each object once, objects beside the folders included', async () => {
    const keys: string[] = [];
    for (let f = 0; f < 40; f++)
      for (let i = 0; i < 3; i++) keys.push(`data/set/f${String(f).padStart(2, '0')}/o${i}`);
    // Objects directly under the split level, sorting before, between and after the folders
    // ('.' and '-' sort before '/'), and a folder whose name extends another's.
    keys.push('data/set/a.txt', 'data/set/f07.txt', 'data/set/f07-x/o', 'data/set/zz', 'data/other-prefix');
    await Promise.all(keys.map((key) => gcs.write(key, Buffer.from(key))));
    const calls: ListOptions[] = [];
    const counting = Object.assign(Object.create(gcs) as ObjectStore, {
      list(options: ListOptions = {}) {
        calls.push(options);
        return gcs.list(options);
      },
    });
    const listed = (await listTree(counting, 'data/set/', 8)).map((o) => o.key);
    expect(listed.sort()).toEqual(keys.filter((k) => k.startsWith('data/set/')).sort());
    const ranged = calls.filter((c) => c.startOffset !== undefined);
    // 41 folders in runs of 6 (41 / 8 rounded up): 7 ranges, after the one delimited listing.
    expect(ranged).toHaveLength(7);
    expect(calls).toHaveLength(8);
    expect(calls.every((c) => c.brief)).toBe(true);
  });
});
