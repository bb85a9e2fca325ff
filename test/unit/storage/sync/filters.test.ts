import { describe, expect, it } from 'vitest';
import { createPathFilter, globToRegExp } from '../../../../src/storage/sync/filters.ts';

describe('globs', () => {
  it.each([
    ['*.tfrecord', 'train-0.tfrecord', true],
    ['*.tfrecord', 'a/train-0.tfrecord', false],
    ['train/**', 'train/a/b.bin', true],
    ['train/**', 'eval/a.bin', false],
    ['**/*.tmp', 'x.tmp', true],
    ['**/*.tmp', 'a/b/x.tmp', true],
    ['shard-?.bin', 'shard-7.bin', true],
    ['shard-?.bin', 'shard-17.bin', false],
    ['shard-[0-4].bin', 'shard-3.bin', true],
    ['shard-[!0-4].bin', 'shard-3.bin', false],
    ['a+b(1).txt', 'a+b(1).txt', true],
  ])('%s against %s → %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });
});

describe('include/exclude', () => {
  it('GIVEN no globs THEN everything is kept', () => {
    expect(createPathFilter({})('any/thing')).toBe(true);
  });

  it('GIVEN a glob without "/" THEN it matches the file name at any depth', () => {
    const keep = createPathFilter({ exclude: ['*.tmp'] });
    expect(keep('a/b/c.tmp')).toBe(false);
    expect(keep('a/b/c.bin')).toBe(true);
  });

  it('GIVEN includes and excludes THEN a file needs an include and no exclude', () => {
    const keep = createPathFilter({ include: ['train/**', 'eval/**'], exclude: ['**/*.tmp'] });
    expect(keep('train/x.bin')).toBe(true);
    expect(keep('train/x.tmp')).toBe(false);
    expect(keep('other/x.bin')).toBe(false);
  });

  it('GIVEN an unclosed class THEN a usage error', () => {
    expect(() => createPathFilter({ include: ['[abc'] })).toThrow(/unclosed/);
  });
});
