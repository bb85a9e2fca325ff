/**
 * The fake Cloud Storage refuses what the service refuses, driven by the
 * stock @google-cloud/storage client (and plain HTTP where a client would
 * never send the request): bucket and object naming rules, `project` on
 * buckets.list / insert, non-numeric preconditions; and it serves gzip
 * objects decompressed to clients that do not accept gzip.
 */

import { gzipSync } from 'node:zlib';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

let fake: FakeGcs;
let storage: Storage;

beforeAll(async () => {
  fake = await startFakeGcs({ buckets: ['rules-bucket'] });
  storage = new Storage({
    apiEndpoint: fake.endpoint,
    projectId: 'test-project',
    retryOptions: { maxRetries: 0 },
  });
});
afterAll(() => fake.close());

describe('fake GCS naming rules', () => {
  it.each([
    ['64 characters', 'a'.repeat(64)],
    ['2 characters', 'ab'],
    ['the goog prefix', 'goog-data'],
    ['google inside', 'my-google-data'],
    ['a close misspelling of google', 'my-g00gle-data'],
    ['an IP address', '192.168.5.4'],
    ['two dots in a row', 'my..bucket'],
    ['a dotted part over 63', `a.${'b'.repeat(64)}`],
    ['upper case', 'My-Bucket'],
    ['a trailing dash', 'bucket-'],
  ])('refuses a bucket named with %s', async (_why, name) => {
    await expect(storage.createBucket(name)).rejects.toMatchObject({ code: 400 });
    expect(fake.state.buckets.has(name)).toBe(false);
  });

  it('accepts the names the rules allow', async () => {
    for (const name of ['abc', 'a'.repeat(63), 'my_bucket-1', `www.${'a'.repeat(60)}.example.com`]) {
      await storage.createBucket(name);
      expect(fake.state.buckets.has(name)).toBe(true);
    }
  });

  it.each([
    ['a newline', 'logs/line\nbreak'],
    ['a carriage return', 'logs/line\rbreak'],
    ['the name ..', '..'],
    ['the name .', '.'],
    ['1025 bytes', 'x'.repeat(1025)],
    ['1024 bytes of 2-byte characters plus one', 'é'.repeat(512) + 'x'],
  ])('refuses an object named with %s, by every upload path and by copy', async (_why, name) => {
    const bucket = storage.bucket('rules-bucket');
    await expect(bucket.file(name).save('x', { resumable: false })).rejects.toMatchObject({ code: 400 });
    await expect(bucket.file(name).save('x', { resumable: true })).rejects.toMatchObject({ code: 400 });
    // (A copy to `.` or `..` cannot even be addressed: the URL path resolves those segments away.)
    if (name !== '.' && name !== '..') {
      await bucket.file('source').save('x', { resumable: false });
      await expect(bucket.file('source').copy(bucket.file(name))).rejects.toMatchObject({ code: 400 });
    }
    expect(fake.state.findObject('rules-bucket', name)).toBeUndefined();
  });

  it('accepts an object name of exactly 1024 bytes, and .. inside a longer name', async () => {
    const bucket = storage.bucket('rules-bucket');
    await bucket.file('é'.repeat(512)).save('x', { resumable: false });
    await bucket.file('a/../b').save('x', { resumable: false });
    expect(fake.state.findObject('rules-bucket', 'a/../b')).toBeDefined();
  });
});

describe('fake GCS parameters', () => {
  it('requires project on buckets.list and buckets.insert', async () => {
    const list = await fetch(`${fake.endpoint}/storage/v1/b`);
    expect(list.status).toBe(400);
    expect(await list.text()).toContain('Required parameter: project');
    const insert = await fetch(`${fake.endpoint}/storage/v1/b`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'no-project-bucket' }),
    });
    expect(insert.status).toBe(400);
    expect(fake.state.buckets.has('no-project-bucket')).toBe(false);
    const [buckets] = await storage.getBuckets();
    expect(buckets.map((b) => b.name)).toContain('rules-bucket');
  });

  it('answers a non-numeric ifGenerationMatch with 400, not as a failed precondition', async () => {
    const bucket = storage.bucket('rules-bucket');
    await bucket.file('guarded').save('x', { resumable: false });
    await expect(
      bucket
        .file('guarded')
        .save('y', { resumable: false, preconditionOpts: { ifGenerationMatch: 'abc' as never } }),
    ).rejects.toMatchObject({ code: 400 });
    const read = await fetch(`${fake.endpoint}/storage/v1/b/rules-bucket/o/guarded?ifGenerationMatch=1e3`);
    expect(read.status).toBe(400);
    expect((await bucket.file('guarded').download())[0].toString()).toBe('x');
  });
});

describe('fake GCS decompressive transcoding', () => {
  const text = 'epoch 1 loss 0.5\n'.repeat(200);

  beforeAll(async () => {
    await storage
      .bucket('rules-bucket')
      .file('log.txt')
      .save(gzipSync(text), {
        resumable: false,
        metadata: { contentEncoding: 'gzip', contentType: 'text/plain' },
      });
  });

  it('serves a gzip object decompressed to a client that does not accept gzip, whole even when a range is asked', async () => {
    const url = `${fake.endpoint}/download/storage/v1/b/rules-bucket/o/log.txt?alt=media`;
    const response = await fetch(url, { headers: { 'accept-encoding': 'identity', range: 'bytes=0-9' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.headers.get('x-goog-stored-content-encoding')).toBe('gzip');
    expect(await response.text()).toBe(text);
  });

  it('serves the stored gzip bytes to a client that accepts gzip (the Node client decompresses them)', async () => {
    const url = `${fake.endpoint}/download/storage/v1/b/rules-bucket/o/log.txt?alt=media`;
    const raw = await new Promise<{ encoding: string | undefined; length: number }>((resolve, reject) => {
      import('node:http').then(({ get }) =>
        get(url, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
          let length = 0;
          res.on('data', (chunk: Buffer) => {
            length += chunk.length;
          });
          res.on('end', () => resolve({ encoding: res.headers['content-encoding'], length }));
        }).on('error', reject),
      );
    });
    expect(raw.encoding).toBe('gzip');
    expect(raw.length).toBe(gzipSync(text).length);
    const [data] = await storage.bucket('rules-bucket').file('log.txt').download();
    expect(data.toString()).toBe(text);
  });
});

describe('fake GCS object versioning', () => {
  it('keeps overwritten and deleted generations of a versioned bucket, listed with versions=true', async () => {
    const [bucket] = await storage.createBucket('versioned-bucket', { versioning: { enabled: true } });
    const [metadata] = await bucket.getMetadata();
    expect(metadata.versioning).toEqual({ enabled: true });
    const file = bucket.file('model.json');
    await file.save('v1', { resumable: false });
    await file.save('v2', { resumable: false });
    await file.save('v3', { resumable: false });
    await bucket.file('other').save('x', { resumable: false });

    const [live] = await bucket.getFiles();
    expect(live.map((f) => f.name)).toEqual(['model.json', 'other']);
    const [all] = await bucket.getFiles({ versions: true });
    const versions = all.filter((f) => f.name === 'model.json');
    expect(versions).toHaveLength(3);
    expect(versions.filter((f) => f.metadata.timeDeleted)).toHaveLength(2);

    // The oldest generation reads back by its number.
    const oldest = versions.map((f) => f.metadata.generation as string).sort()[0]!;
    const [bytes] = await bucket.file('model.json', { generation: oldest }).download();
    expect(bytes.toString()).toBe('v1');

    // Deleting the live object keeps it as noncurrent; deleting a generation removes it for good.
    await file.delete();
    const [afterDelete] = await bucket.getFiles({ versions: true });
    expect(afterDelete.filter((f) => f.name === 'model.json')).toHaveLength(3);
    expect((await bucket.getFiles())[0].map((f) => f.name)).toEqual(['other']);
    await bucket.file('model.json', { generation: oldest }).delete();
    const [afterPurge] = await bucket.getFiles({ versions: true });
    expect(afterPurge.filter((f) => f.name === 'model.json')).toHaveLength(2);
  });

  it('replaces the previous generation in a bucket without versioning', async () => {
    const bucket = storage.bucket('rules-bucket');
    await bucket.file('plain').save('a', { resumable: false });
    await bucket.file('plain').save('b', { resumable: false });
    const [all] = await bucket.getFiles({ versions: true, prefix: 'plain' });
    expect(all).toHaveLength(1);
  });
});
