/**
 * The fake Cloud Storage's `matchGlob` on objects.list: the glob → RegExp
 * translator, then the real @google-cloud/storage client sending it (with a
 * prefix) and getting only the names the service would return.
 */

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globToRegExp } from '../../../src/testing/fake-gcs/glob.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

const matches = (glob: string, name: string) => globToRegExp(glob).test(name);

describe('globToRegExp', () => {
  it('matches `*` within one level only', () => {
    expect(matches('a/*', 'a/b')).toBe(true);
    expect(matches('a/*', 'a/')).toBe(true);
    expect(matches('a/*', 'a/b/c')).toBe(false);
    expect(matches('*.log', 'x.log')).toBe(true);
    expect(matches('*.log', 'd/x.log')).toBe(false);
  });

  it('matches `**` across levels, and `**/` with no level at all', () => {
    expect(matches('a/**', 'a/b/c/d')).toBe(true);
    expect(matches('a/**/d', 'a/b/c/d')).toBe(true);
    expect(matches('a/**/d', 'a/d')).toBe(true);
    expect(matches('a/**/d', 'a/b/c/e')).toBe(false);
    expect(matches('**.json', 'x/y/z.json')).toBe(true);
  });

  it('matches `?` as exactly one character, never `/`', () => {
    expect(matches('a?c', 'abc')).toBe(true);
    expect(matches('a?c', 'ac')).toBe(false);
    expect(matches('a?c', 'abbc')).toBe(false);
    expect(matches('a?c', 'a/c')).toBe(false);
  });

  it('matches character classes, ranges and negated classes', () => {
    expect(matches('[abc].txt', 'b.txt')).toBe(true);
    expect(matches('[abc].txt', 'd.txt')).toBe(false);
    expect(matches('v[0-9]', 'v7')).toBe(true);
    expect(matches('v[0-9]', 'vx')).toBe(false);
    expect(matches('[!a]x', 'bx')).toBe(true);
    expect(matches('[!a]x', 'ax')).toBe(false);
  });

  it('matches `{a,b}` alternatives, each a glob of its own', () => {
    const glob = '{runs/a/attempts/1/*,x/b/attempts/2/*}';
    expect(matches(glob, 'runs/a/attempts/1/worker-0.log')).toBe(true);
    expect(matches(glob, 'x/b/attempts/2/exit.json')).toBe(true);
    expect(matches(glob, 'runs/a/attempts/2/worker-0.log')).toBe(false);
    expect(matches(glob, 'runs/a/attempts/1/sub/deeper')).toBe(false);
    expect(matches('{a,b}', 'ab')).toBe(false);
  });

  it('takes regular-expression characters and escaped wildcards literally', () => {
    expect(matches('a.b(c)+', 'a.b(c)+')).toBe(true);
    expect(matches('a.b', 'axb')).toBe(false);
    expect(matches('a\\*', 'a*')).toBe(true);
    expect(matches('a\\*', 'ab')).toBe(false);
  });

  it('refuses an unclosed `[` or `{` as the service does (400)', () => {
    expect(() => globToRegExp('a[bc')).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => globToRegExp('{a,b')).toThrow(expect.objectContaining({ status: 400 }));
  });
});

describe('objects.list with matchGlob, from @google-cloud/storage', () => {
  let fake: FakeGcs;
  let storage: Storage;
  const urls: string[] = [];
  const names = [
    'runs/a/attempts/1/worker-0.log',
    'runs/a/attempts/1/worker-0.exit.json',
    'runs/a/checkpoints/ckpt-1',
    'runs/a/attempts/1/nested/x',
    'runs/b/attempts/2/tpu-host-0.boot.json',
    'runs/c/attempts/1/worker-0.log',
    'other/a/attempts/1/worker-0.log',
  ];

  beforeAll(async () => {
    fake = await startFakeGcs({
      buckets: [{ name: 'glob-bucket' }],
      onRequest: (entry) => urls.push(entry.url),
    });
    storage = new Storage({ apiEndpoint: fake.endpoint, projectId: 'p', retryOptions: { maxRetries: 0 } });
    const bucket = storage.bucket('glob-bucket');
    await Promise.all(names.map((name) => bucket.file(name).save(name, { resumable: false })));
  });
  afterAll(() => fake.close());

  it('sends matchGlob with the prefix and returns only the direct children of the folders named', async () => {
    urls.length = 0;
    const [files] = await storage.bucket('glob-bucket').getFiles({
      prefix: 'runs/',
      matchGlob: '{runs/a/attempts/1/*,runs/b/attempts/2/*}',
    });
    expect(files.map((f) => f.name)).toEqual([
      'runs/a/attempts/1/worker-0.exit.json',
      'runs/a/attempts/1/worker-0.log',
      'runs/b/attempts/2/tpu-host-0.boot.json',
    ]);
    // The client put it on the wire as the JSON API's query parameter (the fake logs a request when answered).
    await new Promise((resolve) => setTimeout(resolve, 50));
    const listed = urls.map((url) => new URL(url, 'http://x').searchParams).filter((q) => q.has('matchGlob'));
    expect(listed.map((q) => [q.get('prefix'), q.get('matchGlob')])).toEqual([
      ['runs/', '{runs/a/attempts/1/*,runs/b/attempts/2/*}'],
    ]);
  });

  it('applies the prefix too: a glob never widens the listing past it', async () => {
    const [files] = await storage
      .bucket('glob-bucket')
      .getFiles({ prefix: 'runs/', matchGlob: '**/worker-0.log' });
    expect(files.map((f) => f.name)).toEqual([
      'runs/a/attempts/1/worker-0.log',
      'runs/c/attempts/1/worker-0.log',
    ]);
  });

  it('answers a malformed glob with 400', async () => {
    await expect(storage.bucket('glob-bucket').getFiles({ matchGlob: 'runs/[a' })).rejects.toMatchObject({
      code: 400,
    });
  });
});
