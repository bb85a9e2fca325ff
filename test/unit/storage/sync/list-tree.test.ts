import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileObjectStore, fileKey } from '../../../../src/storage/file-store.ts';
import { listTree } from '../../../../src/storage/sync/list-tree.ts';
import type { ListOptions, ListPage, ObjectStore } from '../../../../src/storage/types.ts';

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
