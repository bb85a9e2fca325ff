import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { crc32cOf } from '../../../../src/storage/checksum.ts';
import { CrcCache } from '../../../../src/storage/sync/crc-cache.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'strato-crc-cache-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the CRC32C cache', () => {
  it('remembers a file by size and mtime across runs, and forgets it when either changes', async () => {
    const path = join(dir, 'data.bin');
    writeFileSync(path, 'some bytes');
    const first = await CrcCache.open(join(dir, 'cache'), '/src');
    expect(await first.crcOf('data.bin', path, 10, 1)).toBe(crc32cOf(Buffer.from('some bytes')));
    await first.save();

    writeFileSync(path, 'other byte');
    const second = await CrcCache.open(join(dir, 'cache'), '/src');
    // Same size and mtime: the cached value, without reading the (changed) file.
    expect(await second.crcOf('data.bin', path, 10, 1)).toBe(crc32cOf(Buffer.from('some bytes')));
    expect(await second.crcOf('data.bin', path, 10, 2)).toBe(crc32cOf(Buffer.from('other byte')));
  });

  it('merges values learned before loading, keeps only retained files, and writes nothing when nothing was learned', async () => {
    const cacheDir = join(dir, 'cache');
    const a = await CrcCache.open(cacheDir, '/src');
    a.set('old', 1, 1, 11);
    a.set('kept', 2, 2, 22);
    await a.save();
    const b = await CrcCache.open(cacheDir, '/src');
    b.set('new', 3, 3, 33);
    b.retain(() => ['kept', 'new']);
    await b.save();
    const [file] = readdirSync(join(cacheDir, 'crc32c'));
    const saved = JSON.parse(readFileSync(join(cacheDir, 'crc32c', file!), 'utf8')) as { entries: object };
    expect(Object.keys(saved.entries).sort()).toEqual(['kept', 'new']);
    const c = await CrcCache.open(join(dir, 'other-cache'), '/src');
    await c.save();
    expect(() => readFileSync(join(dir, 'other-cache'))).toThrow();
  });
});
