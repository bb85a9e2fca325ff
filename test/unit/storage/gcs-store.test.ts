/** The gs:// store against the fake Cloud Storage: the ObjectStore contract, uploads and their faults. */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32c } from '@node-rs/crc32';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../../src/storage/checksum.ts';
import { GcsObjectStore, type GcsStoreOptions } from '../../../src/storage/gcs/store.ts';
import { openObjectStore } from '../../../src/storage/open.ts';
import { listAll } from '../../../src/storage/types.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

const FAST_RETRY = { initialDelayMs: 1, maxDelayMs: 5 };
const KIB = 1024;

let fake: FakeGcs;
const stores: GcsObjectStore[] = [];
const dir = mkdtempSync(join(tmpdir(), 'strato-gcs-store-'));

function store(options: GcsStoreOptions = {}): GcsObjectStore {
  const s = new GcsObjectStore('store-bucket', { apiEndpoint: fake.endpoint, retry: FAST_RETRY, ...options });
  stores.push(s);
  return s;
}

beforeAll(async () => {
  fake = await startFakeGcs({ buckets: [{ name: 'store-bucket', location: 'US-CENTRAL1' }] });
});
afterEach(() => fake.faults.clear());
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('gs:// store', () => {
  it('opens from a URI, with the key inside the bucket', async () => {
    const { store: opened, key } = await openObjectStore('gs://store-bucket/some/prefix/', {
      gcs: { apiEndpoint: fake.endpoint },
    });
    expect(opened.scheme).toBe('gs');
    expect(opened.bucket).toBe('store-bucket');
    expect(key).toBe('some/prefix/');
    expect(await opened.findBucket?.()).toMatchObject({ name: 'store-bucket', location: 'US-CENTRAL1' });
    await opened.close?.();
  });

  it('writes, stats, reads whole and by range, lists and deletes', async () => {
    const s = store();
    const data = randomBytes(5000);
    const written = await s.write('contract/a.bin', data, {
      metadata: { mtime: '2024-01-02T03:04:05.000000000Z' },
    });
    expect(written).toMatchObject({ key: 'contract/a.bin', size: 5000, crc32c: crc32cBase64(crc32c(data)) });
    expect(await s.stat('contract/a.bin')).toMatchObject({
      size: 5000,
      metadata: { mtime: '2024-01-02T03:04:05.000000000Z' },
    });
    expect(await s.stat('contract/missing')).toBeUndefined();
    expect((await s.read('contract/a.bin')).equals(data)).toBe(true);
    expect((await s.read('contract/a.bin', { start: 10, end: 20 })).equals(data.subarray(10, 20))).toBe(true);
    expect((await s.read('contract/a.bin', { start: 4990 })).equals(data.subarray(4990))).toBe(true);
    expect(await s.read('contract/a.bin', { start: 5000 })).toHaveLength(0);
    expect(await s.read('contract/a.bin', { start: 7, end: 7 })).toHaveLength(0);
    const chunks: Buffer[] = [];
    for await (const chunk of await s.readStream('contract/a.bin', { start: 100 }))
      chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(data.subarray(100))).toBe(true);
    await s.write('contract/sub/b.bin', Buffer.from('b'));
    const page = await s.list({ prefix: 'contract/', delimiter: '/' });
    expect(page.objects.map((o) => o.key)).toEqual(['contract/a.bin']);
    expect(page.prefixes).toEqual(['contract/sub/']);
    await s.delete('contract/a.bin');
    await s.delete('contract/a.bin');
    expect(await s.stat('contract/a.bin')).toBeUndefined();
    await expect(s.read('contract/a.bin')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });

  it('follows list pages', async () => {
    const s = store();
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => s.write(`pages/${String(i).padStart(2, '0')}`, Buffer.from([i]))),
    );
    const keys: string[] = [];
    for await (const o of listAll(s, { prefix: 'pages/', maxResults: 10 })) keys.push(o.key);
    expect(keys).toHaveLength(25);
    expect(keys[24]).toBe('pages/24');
  });

  it('lists by matchGlob with a prefix: only the direct children of the folders the glob names', async () => {
    const s = store();
    const keys = [
      'glob/a/1/x.log',
      'glob/a/1/deep/y',
      'glob/a/2/x.log',
      'glob/b/1/z.json',
      'globe/a/1/x.log',
    ];
    await Promise.all(keys.map((key) => s.write(key, Buffer.from(key))));
    expect(s.listsByGlob).toBe(true);
    const listed = [];
    for await (const o of listAll(s, { prefix: 'glob/', matchGlob: '{glob/a/1/*,glob/b/1/*}', brief: true }))
      listed.push(o.key);
    expect(listed).toEqual(['glob/a/1/x.log', 'glob/b/1/z.json']);
  });

  it('refuses matchGlob on file:// (E_INTERNAL) rather than list more than asked', async () => {
    const { store: local } = await openObjectStore(`file://${dir}/`);
    expect(local.listsByGlob).toBeUndefined();
    await expect(local.list({ prefix: '', matchGlob: '*' })).rejects.toMatchObject({ code: 'E_INTERNAL' });
  });

  it('streams a large write in resumable chunks; the object appears only when complete', async () => {
    const s = store({ chunkSizeBytes: 256 * KIB, resumableThresholdBytes: 256 * KIB });
    const data = randomBytes(1000 * KIB);
    let seenBeforeEnd: unknown = 'not checked';
    const source = Readable.from(
      (async function* () {
        for (let at = 0; at < data.length; at += 100 * KIB) {
          if (at === 900 * KIB) seenBeforeEnd = await s.stat('big/streamed.bin');
          yield data.subarray(at, at + 100 * KIB);
        }
      })(),
    );
    const info = await s.write('big/streamed.bin', source);
    expect(seenBeforeEnd).toBeUndefined();
    expect(info).toMatchObject({ size: data.length, crc32c: crc32cBase64(crc32c(data)) });
    expect((await s.read('big/streamed.bin')).equals(data)).toBe(true);
  });

  it('uploads a large file through chunk faults: 503s, resets and lost answers', async () => {
    const s = store({ chunkSizeBytes: 256 * KIB, resumableThresholdBytes: 256 * KIB });
    const data = randomBytes(2 * 1024 * KIB + 333);
    const path = join(dir, 'faulty.bin');
    writeFileSync(path, data);
    fake.faults.add({ method: 'PUT', path: 'upload_id', nth: 2, fault: { status: 503 } });
    fake.faults.add({ method: 'PUT', path: 'upload_id', nth: 4, fault: 'reset' });
    fake.faults.add({ method: 'PUT', path: 'upload_id', nth: 6, fault: 'reset-after' });
    let reported = 0;
    const info = await s.uploadFile('big/faulty.bin', path, {
      size: data.length,
      onBytes: (n) => (reported += n),
    });
    expect(info.crc32c).toBe(crc32cBase64(crc32c(data)));
    expect(reported).toBe(data.length);
    expect((await s.read('big/faulty.bin')).equals(data)).toBe(true);
    expect(fake.faults.stats.injected).toBe(3);
  });

  it('GIVEN a small upload whose answer is lost THEN the retry sees 412, finds its own bytes and succeeds', async () => {
    const s = store();
    const path = join(dir, 'small.txt');
    writeFileSync(path, 'small and sure');
    fake.faults.add({ method: 'POST', path: 'uploadType=multipart', fault: 'reset-after', times: 1 });
    const info = await s.uploadFile('small/once.txt', path, { size: 14, ifGenerationMatch: '0' });
    expect(info.size).toBe(14);
    expect((await s.read('small/once.txt')).toString()).toBe('small and sure');
  });

  it('GIVEN someone else wrote the object THEN a precondition upload fails with E_CONFLICT and keeps theirs', async () => {
    const s = store();
    await s.write('small/theirs.txt', Buffer.from('theirs'));
    const path = join(dir, 'mine.txt');
    writeFileSync(path, 'mine');
    await expect(
      s.uploadFile('small/theirs.txt', path, { size: 4, ifGenerationMatch: '0' }),
    ).rejects.toMatchObject({
      code: 'E_CONFLICT',
    });
    expect((await s.read('small/theirs.txt')).toString()).toBe('theirs');
  });

  it('GIVEN an expected CRC32C that the content does not have THEN refuses before writing', async () => {
    const s = store();
    await expect(
      s.write('small/wrong.txt', Buffer.from('abc'), { crc32c: 'AAAAAA==' }),
    ).rejects.toMatchObject({
      code: 'E_CORRUPT',
    });
    expect(await s.stat('small/wrong.txt')).toBeUndefined();
  });

  it('GIVEN a streamed write with an expected CRC32C it does not have THEN the service refuses it at the end, nothing stored', async () => {
    const s = store({ chunkSizeBytes: 256 * KIB, resumableThresholdBytes: 256 * KIB });
    const data = randomBytes(600 * KIB);
    await expect(
      s.write('big/refused.bin', Readable.from([data]), { crc32c: 'AAAAAA==' }),
    ).rejects.toMatchObject({
      code: 'E_CORRUPT',
    });
    expect(await s.stat('big/refused.bin')).toBeUndefined();
  });

  it('does not retry a write without a precondition after a dropped answer (the stock client does not either)', async () => {
    const s = store();
    fake.faults.add({ method: 'POST', path: 'uploadType=multipart', fault: 'reset', times: 1 });
    await expect(s.write('small/no-retry.txt', Buffer.from('x'))).rejects.toMatchObject({
      code: 'E_TRANSIENT',
    });
  });

  it('retries reads through 503s and resets', async () => {
    const s = store();
    await s.write('retry/read.txt', Buffer.from('persistent'));
    fake.faults.add({ method: 'GET', path: 'retry%2Fread.txt', fault: { status: 503 }, times: 2 });
    fake.faults.add({ method: 'GET', path: 'retry%2Fread.txt', nth: 3, fault: 'reset' });
    expect((await s.read('retry/read.txt')).toString()).toBe('persistent');
  });

  it('gives up after the last attempt with E_TRANSIENT and a hint', async () => {
    const s = store({ retry: { ...FAST_RETRY, maxAttempts: 2 } });
    fake.faults.add({ method: 'GET', path: 'given-up', fault: { status: 503 } });
    const error = await s.stat('given-up').catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_TRANSIENT', retryable: true });
    expect((error as { hint?: string }).hint).toMatch(/run the command again/);
  });

  it('finds the endpoint through STORAGE_EMULATOR_HOST, as the client library does', async () => {
    const s = new GcsObjectStore('store-bucket', { env: { STORAGE_EMULATOR_HOST: fake.endpoint } });
    stores.push(s);
    expect(await s.findBucket()).toMatchObject({ name: 'store-bucket' });
  });

  it('uploads through the stock client too (transport: stock), with the same result', async () => {
    const s = store({ transport: 'stock', resumableThresholdBytes: 256 * KIB, chunkSizeBytes: 256 * KIB });
    const small = join(dir, 'stock-small.bin');
    const large = join(dir, 'stock-large.bin');
    writeFileSync(small, randomBytes(1000));
    writeFileSync(large, randomBytes(600 * KIB));
    for (const [key, path, size] of [
      ['stock/small', small, 1000],
      ['stock/large', large, 600 * KIB],
    ] as const) {
      const info = await s.uploadFile(key, path, { size, metadata: { mtime: 'x' } });
      expect(info).toMatchObject({ size, metadata: { mtime: 'x' } });
      expect((await s.stat(key))?.crc32c).toBe(info.crc32c);
    }
  });
});
