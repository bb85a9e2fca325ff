/** The s3:// store, through the real @aws-sdk/client-s3, against a small S3 server on loopback. */

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../../src/storage/checksum.ts';
import { openObjectStore } from '../../../src/storage/open.ts';
import type { S3ObjectStore } from '../../../src/storage/s3/store.ts';
import { uploadDataset } from '../../../src/storage/sync/upload-dataset.ts';
import { listAll } from '../../../src/storage/types.ts';
import { type FakeS3, startFakeS3 } from '../../support/fake-s3.ts';

const MIB = 1024 * 1024;
let s3: FakeS3;
let store: S3ObjectStore;
let work: string;
const s3Options = () => ({
  endpoint: s3.endpoint,
  region: 'us-west-2',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  partSizeBytes: 5 * MIB,
});

beforeAll(async () => {
  s3 = await startFakeS3({ 's3-bucket': 'us-west-2' });
  store = (await openObjectStore('s3://s3-bucket/', { s3: s3Options() })).store as S3ObjectStore;
  work = mkdtempSync(join(tmpdir(), 'strato-s3-'));
});
afterAll(async () => {
  await store.close();
  await s3.close();
  rmSync(work, { recursive: true, force: true });
});

describe('s3:// store', () => {
  it('finds its bucket and its region', async () => {
    expect(await store.findBucket()).toEqual({ name: 's3-bucket', location: 'us-west-2' });
  });

  it('writes with CRC32C and metadata, stats, reads by range, lists and deletes', async () => {
    const data = randomBytes(3000);
    const info = await store.write('dir/a.bin', data, { metadata: { mtime: 'then' } });
    expect(info).toMatchObject({ size: 3000, crc32c: crc32cBase64(crc32c(data)) });
    expect(await store.stat('dir/a.bin')).toMatchObject({
      size: 3000,
      crc32c: info.crc32c,
      metadata: { mtime: 'then' },
    });
    expect(await store.stat('dir/none')).toBeUndefined();
    expect((await store.read('dir/a.bin', { start: 5, end: 10 })).equals(data.subarray(5, 10))).toBe(true);
    expect(await store.read('dir/a.bin', { start: 3000 })).toHaveLength(0);
    await store.write('dir/sub/b.bin', Buffer.from('b'));
    const page = await store.list({ prefix: 'dir/', delimiter: '/' });
    expect(page.objects.map((o) => o.key)).toEqual(['dir/a.bin']);
    expect(page.prefixes).toEqual(['dir/sub/']);
    await store.delete('dir/a.bin');
    expect(await store.stat('dir/a.bin')).toBeUndefined();
  });

  it('follows continuation tokens', async () => {
    await Promise.all(Array.from({ length: 7 }, (_, i) => store.write(`paged/${i}`, Buffer.from([i]))));
    const keys: string[] = [];
    for await (const o of listAll(store, { prefix: 'paged/', maxResults: 3 })) keys.push(o.key);
    expect(keys).toEqual(['paged/0', 'paged/1', 'paged/2', 'paged/3', 'paged/4', 'paged/5', 'paged/6']);
  });

  it('uploads a large stream as a multipart upload with a full-object CRC32C', async () => {
    const data = randomBytes(12 * MIB + 7);
    const info = await store.write(
      'big/stream.bin',
      Readable.from([data.subarray(0, 6 * MIB), data.subarray(6 * MIB)]),
    );
    expect(info.crc32c).toBe(crc32cBase64(crc32c(data)));
    expect(s3.buckets.get('s3-bucket')!.get('big/stream.bin')!.data.equals(data)).toBe(true);
    expect(s3.openUploads()).toBe(0);
  });

  it('GIVEN an expected CRC32C the stream does not have THEN aborts the multipart upload and writes nothing', async () => {
    const data = randomBytes(6 * MIB);
    await expect(
      store.write('big/wrong.bin', Readable.from([data]), { crc32c: 'AAAAAA==' }),
    ).rejects.toMatchObject({
      code: 'E_CORRUPT',
    });
    expect(await store.stat('big/wrong.bin')).toBeUndefined();
    expect(s3.openUploads()).toBe(0);
  });

  it('is a destination for uploadDataset', async () => {
    mkdirSync(join(work, 'src'), { recursive: true });
    writeFileSync(join(work, 'src/one.txt'), 'one');
    writeFileSync(join(work, 'src/large.bin'), randomBytes(6 * MIB));
    const first = await uploadDataset(join(work, 'src'), 's3://s3-bucket/pushed', {
      s3: s3Options(),
      cacheDir: false,
    });
    expect(first).toMatchObject({ uploaded: 2 });
    expect((await store.stat('pushed/large.bin'))?.size).toBe(6 * MIB);
    const second = await uploadDataset(join(work, 'src'), 's3://s3-bucket/pushed', {
      s3: s3Options(),
      cacheDir: false,
    });
    expect(second).toMatchObject({ uploaded: 0, skipped: 2 });
  });

  it('maps a missing bucket to E_NOT_FOUND', async () => {
    const { store: missing } = await openObjectStore('s3://no-such-bucket/x', { s3: s3Options() });
    expect(await missing.findBucket?.()).toBeUndefined();
    await expect(missing.read('x')).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    await missing.close?.();
  });
});
