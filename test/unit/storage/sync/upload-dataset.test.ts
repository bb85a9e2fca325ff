/** uploadDataset against the fake Cloud Storage and file://: what is sent, skipped, deleted and refused. */

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../../../src/storage/checksum.ts';
import { type UploadDatasetOptions, uploadDataset } from '../../../../src/storage/sync/upload-dataset.ts';
import { type FakeGcs, startFakeGcs } from '../../../../src/testing/index.ts';

let fake: FakeGcs;
let work: string;
let src: string;
let options: UploadDatasetOptions;
let storage: Storage;

beforeAll(async () => {
  fake = await startFakeGcs({ buckets: ['sync-bucket'] });
  storage = new Storage({ apiEndpoint: fake.endpoint, projectId: 'p' });
});
afterAll(() => fake.close());
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'strato-sync-'));
  src = join(work, 'src');
  mkdirSync(join(src, 'train'), { recursive: true });
  writeFileSync(join(src, 'train/a.bin'), randomBytes(1000));
  writeFileSync(join(src, 'train/b.bin'), randomBytes(2000));
  writeFileSync(join(src, 'labels.txt'), 'cat\ndog\n');
  options = {
    gcs: { apiEndpoint: fake.endpoint, retry: { initialDelayMs: 1, maxDelayMs: 5 } },
    cacheDir: join(work, 'cache'),
  };
  return () => rmSync(work, { recursive: true, force: true });
});

let prefixCounter = 0;
const freshPrefix = () => `gs://sync-bucket/run-${++prefixCounter}`;

async function objectsUnder(
  uri: string,
): Promise<Map<string, { size: string; crc32c: string; metadata?: Record<string, string> }>> {
  const prefix = uri.replace('gs://sync-bucket/', '');
  const [files] = await storage.bucket('sync-bucket').getFiles({ prefix: `${prefix}/` });
  return new Map(
    files.map((f) => [
      f.name.slice(prefix.length + 1),
      f.metadata as { size: string; crc32c: string; metadata?: Record<string, string> },
    ]),
  );
}

describe('uploadDataset to gs://', () => {
  it('GIVEN a folder THEN its files land under the prefix with their CRC32C and mtime metadata', async () => {
    const dst = freshPrefix();
    const summary = await uploadDataset(src, dst, options);
    expect(summary).toMatchObject({
      files: 3,
      bytes: 3008,
      uploaded: 3,
      uploadedBytes: 3008,
      skipped: 0,
      deleted: 0,
    });
    const objects = await objectsUnder(dst);
    expect([...objects.keys()].sort()).toEqual(['labels.txt', 'train/a.bin', 'train/b.bin']);
    const a = readFileSync(join(src, 'train/a.bin'));
    expect(objects.get('train/a.bin')).toMatchObject({ size: '1000', crc32c: crc32cBase64(crc32c(a)) });
    expect(objects.get('train/a.bin')?.metadata?.mtime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
  });

  it('GIVEN nothing changed THEN a second push uploads nothing and makes no request per file', async () => {
    const dst = freshPrefix();
    await uploadDataset(src, dst, options);
    const requestsBefore = fake.faults.stats.requests;
    const summary = await uploadDataset(src, dst, options);
    expect(summary).toMatchObject({ uploaded: 0, skipped: 3 });
    // The bucket, whether the destination is an object, the top level and its one folder: nothing per file.
    expect(fake.faults.stats.requests - requestsBefore).toBe(4);
  });

  it('GIVEN a changed file THEN only it is sent again', async () => {
    const dst = freshPrefix();
    await uploadDataset(src, dst, options);
    writeFileSync(join(src, 'train/a.bin'), randomBytes(1500));
    const summary = await uploadDataset(src, dst, options);
    expect(summary).toMatchObject({ uploaded: 1, uploadedBytes: 1500, skipped: 2 });
    expect((await objectsUnder(dst)).get('train/a.bin')?.size).toBe('1500');
  });

  it('GIVEN a touched file of the same content THEN the checksum decides it is unchanged', async () => {
    const dst = freshPrefix();
    await uploadDataset(src, dst, options);
    utimesSync(join(src, 'labels.txt'), new Date(), new Date(Date.now() + 60_000));
    expect(await uploadDataset(src, dst, options)).toMatchObject({ uploaded: 0, skipped: 3 });
  });

  it('GIVEN objects another tool uploaded (no mtime metadata) THEN equal checksums skip, different ones upload', async () => {
    const dst = freshPrefix();
    const prefix = dst.replace('gs://sync-bucket/', '');
    await storage
      .bucket('sync-bucket')
      .file(`${prefix}/labels.txt`)
      .save(readFileSync(join(src, 'labels.txt')), { resumable: false });
    await storage
      .bucket('sync-bucket')
      .file(`${prefix}/train/a.bin`)
      .save(Buffer.alloc(1000), { resumable: false });
    expect(await uploadDataset(src, dst, options)).toMatchObject({ uploaded: 2, skipped: 1 });
  });

  it('GIVEN --delete THEN objects the source no longer has go, excluded ones stay', async () => {
    const dst = freshPrefix();
    const prefix = dst.replace('gs://sync-bucket/', '');
    await uploadDataset(src, dst, options);
    await storage.bucket('sync-bucket').file(`${prefix}/stale.bin`).save('old', { resumable: false });
    await storage.bucket('sync-bucket').file(`${prefix}/notes.tmp`).save('keep', { resumable: false });
    const summary = await uploadDataset(src, dst, { ...options, delete: true, exclude: ['*.tmp'] });
    expect(summary).toMatchObject({ deleted: 1, skipped: 3 });
    expect([...(await objectsUnder(dst)).keys()].sort()).toEqual([
      'labels.txt',
      'notes.tmp',
      'train/a.bin',
      'train/b.bin',
    ]);
  });

  it('GIVEN --dry-run THEN reports what it would do and writes nothing', async () => {
    const dst = freshPrefix();
    const summary = await uploadDataset(src, dst, { ...options, dryRun: true });
    expect(summary).toMatchObject({ dryRun: true, uploaded: 3, uploadedBytes: 3008 });
    expect((await objectsUnder(dst)).size).toBe(0);
  });

  it('GIVEN include globs THEN only matching files go', async () => {
    const dst = freshPrefix();
    expect(await uploadDataset(src, dst, { ...options, include: ['train/**'] })).toMatchObject({
      files: 2,
      uploaded: 2,
    });
  });

  it('GIVEN a single file THEN it becomes the destination object, or goes under a destination ending in /', async () => {
    const dst = freshPrefix();
    await uploadDataset(join(src, 'labels.txt'), `${dst}/named.txt`, options);
    await uploadDataset(join(src, 'labels.txt'), `${dst}/folder/`, options);
    expect([...(await objectsUnder(dst)).keys()].sort()).toEqual(['folder/labels.txt', 'named.txt']);
  });

  it('reports progress from scanning to done', async () => {
    const phases = new Set<string>();
    let last: { uploaded: number; uploadedBytes: number } | undefined;
    await uploadDataset(src, freshPrefix(), {
      ...options,
      onProgress: (p) => {
        phases.add(p.phase);
        last = p;
      },
    });
    expect([...phases]).toEqual(['scanning', 'uploading', 'deleting', 'done']);
    expect(last).toMatchObject({ uploaded: 3, uploadedBytes: 3008 });
  });
});

describe('bad input: one clear error, nothing written', () => {
  const writes = () => fake.counters.objectsCreated;

  it.each([
    [
      'a missing source',
      () => [join(work, 'nope'), freshPrefix()],
      'E_NOT_FOUND',
      /source .*nope does not exist/,
    ],
    ['an invalid bucket name', () => [src, 'gs://Not_Valid/x'], 'E_USAGE', /not a valid bucket name/],
    ['a gs:// URI without a bucket', () => [src, 'gs:///x'], 'E_USAGE', /names no bucket/],
    [
      'a bucket that does not exist',
      () => [src, 'gs://missing-bucket/x'],
      'E_NOT_FOUND',
      /bucket gs:\/\/missing-bucket does not exist/,
    ],
  ])('%s', async (_what, args, code, message) => {
    const before = writes();
    const [from, to] = args();
    await expect(uploadDataset(from!, to!, options)).rejects.toMatchObject({
      code,
      message: expect.stringMatching(message),
    });
    expect(writes()).toBe(before);
  });

  it('a destination that is an object where a folder needs a prefix', async () => {
    const dst = freshPrefix();
    await uploadDataset(join(src, 'labels.txt'), `${dst}/taken`, options);
    const before = writes();
    await expect(uploadDataset(src, `${dst}/taken`, options)).rejects.toMatchObject({
      code: 'E_USAGE',
      message: expect.stringMatching(/is an object/),
    });
    expect(writes()).toBe(before);
  });
});

describe('uploadDataset to file://', () => {
  it('copies the tree, keeps mtimes, and skips it the second time', async () => {
    const dst = join(work, 'mirror');
    expect(await uploadDataset(src, `file://${dst}`, options)).toMatchObject({ uploaded: 3 });
    expect(readFileSync(join(dst, 'train/b.bin')).equals(readFileSync(join(src, 'train/b.bin')))).toBe(true);
    expect(await uploadDataset(src, `file://${dst}`, options)).toMatchObject({ uploaded: 0, skipped: 3 });
  });

  it('refuses a folder pushed onto an existing file', async () => {
    writeFileSync(join(work, 'plain-file'), 'x');
    await expect(uploadDataset(src, `file://${join(work, 'plain-file')}`, options)).rejects.toMatchObject({
      code: 'E_USAGE',
    });
  });
});
