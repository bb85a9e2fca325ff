/**
 * The fake Cloud Storage driven by the real @google-cloud/storage client:
 * every route the client uses, through `apiEndpoint` and through
 * STORAGE_EMULATOR_HOST.
 */

import { createHash, randomBytes } from 'node:crypto';
import { type GetFilesOptions, Storage } from '@google-cloud/storage';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../../src/storage/checksum.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

const crcOf = (data: Buffer) => crc32cBase64(crc32c(data));
const md5Of = (data: Buffer) => createHash('md5').update(data).digest('base64');

let fake: FakeGcs;
let storage: Storage;

beforeAll(async () => {
  fake = await startFakeGcs({ buckets: [{ name: 'client-bucket', location: 'US-CENTRAL1' }] });
  storage = new Storage({
    apiEndpoint: fake.endpoint,
    projectId: 'test-project',
    retryOptions: { maxRetries: 0 },
  });
});
afterAll(() => fake.close());

describe('fake GCS with @google-cloud/storage', () => {
  it('creates, gets and deletes buckets, with their location', async () => {
    await storage.createBucket('made-here', { location: 'europe-west4' });
    const [meta] = await storage.bucket('made-here').getMetadata();
    expect(meta.location).toBe('EUROPE-WEST4');
    expect(meta.locationType).toBe('region');
    await expect(storage.createBucket('made-here')).rejects.toMatchObject({ code: 409 });
    await storage.bucket('made-here').delete();
    expect((await storage.bucket('made-here').exists())[0]).toBe(false);
  });

  it('refuses to delete a bucket that still has objects', async () => {
    await storage.createBucket('not-empty');
    await storage.bucket('not-empty').file('x').save('x', { resumable: false });
    await expect(storage.bucket('not-empty').delete()).rejects.toMatchObject({ code: 409 });
  });

  it('stores a multipart upload with its CRC32C, MD5 and user metadata', async () => {
    const data = Buffer.from('hello, fake cloud');
    const file = storage.bucket('client-bucket').file('multi/hello.txt');
    await file.save(data, {
      resumable: false,
      metadata: { contentType: 'text/plain', metadata: { owner: 'strato' } },
    });
    const [meta] = await file.getMetadata();
    expect(meta).toMatchObject({
      name: 'multi/hello.txt',
      size: String(data.length),
      crc32c: crcOf(data),
      md5Hash: md5Of(data),
      contentType: 'text/plain',
      metadata: { owner: 'strato' },
    });
    expect(Number(meta.generation)).toBeGreaterThan(0);
  });

  it('takes a chunked resumable upload (308 + Range between chunks) and the single-request form', async () => {
    const data = randomBytes(3 * 256 * 1024 + 1234);
    const bucket = storage.bucket('client-bucket');
    await bucket.file('resumable/chunked.bin').save(data, { resumable: true, chunkSize: 256 * 1024 });
    await bucket.file('resumable/streamed.bin').save(data, { resumable: true });
    for (const name of ['resumable/chunked.bin', 'resumable/streamed.bin']) {
      const [back] = await bucket.file(name).download();
      expect(back.equals(data)).toBe(true);
      expect((await bucket.file(name).getMetadata())[0].crc32c).toBe(crcOf(data));
    }
  });

  it('serves ranged downloads as 206 and whole ones with x-goog-hash the client validates', async () => {
    const data = randomBytes(10_000);
    const file = storage.bucket('client-bucket').file('download/data.bin');
    await file.save(data, { resumable: false });
    const [part] = await file.download({ start: 100, end: 199 });
    expect(part.equals(data.subarray(100, 200))).toBe(true);
    const [whole] = await file.download({ validation: 'crc32c' });
    expect(whole.equals(data)).toBe(true);
    const res = await fetch(`${fake.endpoint}/storage/v1/b/client-bucket/o/download%2Fdata.bin?alt=media`, {
      headers: { range: 'bytes=9990-' },
    });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-range')).toBe('bytes 9990-9999/10000');
    expect(res.headers.get('x-goog-hash')).toBe(`crc32c=${crcOf(data)},md5=${md5Of(data)}`);
    expect(Buffer.from(await res.arrayBuffer()).equals(data.subarray(9990))).toBe(true);
  });

  it('lists with prefix, delimiter and pages', async () => {
    const bucket = storage.bucket('client-bucket');
    await Promise.all(
      ['list/a/1', 'list/a/2', 'list/b/1', 'list/c', 'list/d', 'list/e'].map((name) =>
        bucket.file(name).save(name, { resumable: false }),
      ),
    );
    const [files, , response] = await bucket.getFiles({
      prefix: 'list/',
      delimiter: '/',
      autoPaginate: false,
    });
    expect(files.map((f) => f.name)).toEqual(['list/c', 'list/d', 'list/e']);
    expect((response as { prefixes: string[] }).prefixes).toEqual(['list/a/', 'list/b/']);
    const names: string[] = [];
    let pages = 0;
    let query: GetFilesOptions | null = { prefix: 'list/', maxResults: 2, autoPaginate: false };
    while (query) {
      const [files, next] = await bucket.getFiles(query);
      names.push(...files.map((f) => f.name));
      pages++;
      query = next as GetFilesOptions | null;
    }
    expect(names).toEqual(['list/a/1', 'list/a/2', 'list/b/1', 'list/c', 'list/d', 'list/e']);
    expect(pages).toBe(3);
  });

  it('patches metadata (null removes a key) and bumps the metageneration', async () => {
    const file = storage.bucket('client-bucket').file('patch/me');
    await file.save('x', { resumable: false, metadata: { metadata: { keep: '1', drop: '2' } } });
    await file.setMetadata({ metadata: { drop: null, add: '3' } });
    const [meta] = await file.getMetadata();
    expect(meta.metadata).toEqual({ keep: '1', add: '3' });
    expect(meta.metageneration).toBe('2');
  });

  it('composes objects: bytes in order, combined CRC32C, no MD5', async () => {
    const bucket = storage.bucket('client-bucket');
    const parts = [randomBytes(1000), randomBytes(2000)];
    await bucket.file('compose/1').save(parts[0]!, { resumable: false });
    await bucket.file('compose/2').save(parts[1]!, { resumable: false });
    await bucket.combine(['compose/1', 'compose/2'], 'compose/all');
    const [meta] = await bucket.file('compose/all').getMetadata();
    const joined = Buffer.concat(parts);
    expect(meta).toMatchObject({ size: '3000', crc32c: crcOf(joined), componentCount: 2 });
    expect(meta.md5Hash).toBeUndefined();
    expect((await bucket.file('compose/all').download())[0].equals(joined)).toBe(true);
  });

  it('enforces generation preconditions on upload and delete', async () => {
    const file = storage.bucket('client-bucket').file('precondition/x');
    await file.save('one', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } });
    await expect(
      file.save('two', { resumable: false, preconditionOpts: { ifGenerationMatch: 0 } }),
    ).rejects.toMatchObject({ code: 412 });
    await expect(file.delete({ ifGenerationMatch: 1 })).rejects.toMatchObject({ code: 412 });
    expect((await file.download())[0].toString()).toBe('one');
  });

  it('refuses an upload whose declared CRC32C does not match its bytes, and stores nothing', async () => {
    const res = await fetch(
      `${fake.endpoint}/upload/storage/v1/b/client-bucket/o?uploadType=multipart&name=bad`,
      {
        method: 'POST',
        headers: { 'content-type': 'multipart/related; boundary=b' },
        body: `--b\r\ncontent-type: application/json\r\n\r\n{"crc32c":"AAAAAA=="}\r\n--b\r\ncontent-type: text/plain\r\n\r\nhello\r\n--b--\r\n`,
      },
    );
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/CRC32C/);
    expect((await storage.bucket('client-bucket').file('bad').exists())[0]).toBe(false);
  });

  it('works through STORAGE_EMULATOR_HOST (the client then sends paths without /storage/v1)', async () => {
    const saved = process.env.STORAGE_EMULATOR_HOST;
    process.env.STORAGE_EMULATOR_HOST = fake.endpoint;
    try {
      const viaEnv = new Storage({ projectId: 'test-project' });
      const file = viaEnv.bucket('client-bucket').file('emulator/host.txt');
      await file.save('via env', { resumable: false });
      expect((await file.download())[0].toString()).toBe('via env');
      const [files] = await viaEnv.bucket('client-bucket').getFiles({ prefix: 'emulator/' });
      expect(files.map((f) => f.name)).toEqual(['emulator/host.txt']);
    } finally {
      if (saved === undefined) delete process.env.STORAGE_EMULATOR_HOST;
      else process.env.STORAGE_EMULATOR_HOST = saved;
    }
  });
});
