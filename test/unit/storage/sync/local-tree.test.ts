import { mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPathFilter } from '../../../../src/storage/sync/filters.ts';
import { scanLocalTree } from '../../../../src/storage/sync/local-tree.ts';

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'strato-tree-'));
  outside = mkdtempSync(join(tmpdir(), 'strato-outside-'));
  mkdirSync(join(root, 'a/b'), { recursive: true });
  writeFileSync(join(root, 'top.txt'), '1');
  writeFileSync(join(root, 'a/mid.bin'), '22');
  writeFileSync(join(root, 'a/b/deep.tmp'), '333');
  writeFileSync(join(outside, 'secret'), 'x');
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const rels = async (filter = createPathFilter({})) =>
  (await scanLocalTree(root, filter)).map((f) => f.rel).sort();

describe('scanning a source tree', () => {
  it('lists every file with its relative key, size and mtime', async () => {
    utimesSync(join(root, 'top.txt'), 1_700_000_000.25, 1_700_000_000.25);
    const files = await scanLocalTree(root, createPathFilter({}));
    expect(files.map((f) => [f.rel, f.size]).sort()).toEqual([
      ['a/b/deep.tmp', 3],
      ['a/mid.bin', 2],
      ['top.txt', 1],
    ]);
    expect(files.find((f) => f.rel === 'top.txt')?.mtimeMs).toBe(1_700_000_000_250);
  });

  it('applies include/exclude globs', async () => {
    expect(await rels(createPathFilter({ exclude: ['*.tmp'] }))).toEqual(['a/mid.bin', 'top.txt']);
    expect(await rels(createPathFilter({ include: ['a/**'] }))).toEqual(['a/b/deep.tmp', 'a/mid.bin']);
  });

  it('follows symlinks that stay inside the tree, once even when they loop', async () => {
    symlinkSync(join(root, 'top.txt'), join(root, 'link.txt'));
    symlinkSync(join(root, 'a'), join(root, 'a/b/loop'));
    const found = await rels();
    expect(found).toContain('link.txt');
    expect(found.filter((r) => r.endsWith('mid.bin'))).toEqual(['a/mid.bin']);
  });

  it('refuses a symlink that leads out of the tree, naming it', async () => {
    symlinkSync(join(outside, 'secret'), join(root, 'a/escape'));
    await expect(scanLocalTree(root, createPathFilter({}))).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/a\/escape leads out of the source tree/),
    });
  });

  it('refuses a broken symlink', async () => {
    symlinkSync(join(root, 'nowhere'), join(root, 'broken'));
    await expect(scanLocalTree(root, createPathFilter({}))).rejects.toMatchObject({ code: 'E_USAGE' });
  });
});
