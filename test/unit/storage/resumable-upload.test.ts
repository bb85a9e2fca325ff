/** Resumable uploads across processes: a journaled session picks up where the last one stopped. */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../../src/storage/checksum.ts';
import { fileChunkSource } from '../../../src/storage/chunk-source.ts';
import { uploadResumable } from '../../../src/storage/gcs/resumable-upload.ts';
import { GcsObjectStore } from '../../../src/storage/gcs/store.ts';
import { sessionJournal } from '../../../src/storage/sync/session-journal.ts';
import type { UploadSessionJournal, UploadSessionRecord } from '../../../src/storage/types.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

const KIB = 1024;
const CHUNK = 256 * KIB;
const retry = { maxAttempts: 1, initialDelayMs: 1, multiplier: 2, maxDelayMs: 5 };

let fake: FakeGcs;
let store: GcsObjectStore;
const dir = mkdtempSync(join(tmpdir(), 'strato-resumable-'));

beforeAll(async () => {
  fake = await startFakeGcs({ buckets: ['resume-bucket'] });
  store = new GcsObjectStore('resume-bucket', { apiEndpoint: fake.endpoint, retry });
});
afterAll(async () => {
  await store.close();
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

function memoryJournal(): UploadSessionJournal & { record?: UploadSessionRecord } {
  const journal: UploadSessionJournal & { record?: UploadSessionRecord } = {
    async load() {
      return journal.record;
    },
    async save(record) {
      journal.record = { ...record };
    },
    async clear() {
      delete journal.record;
    },
  };
  return journal;
}

describe('resumable upload', () => {
  it('GIVEN an upload stopped after 3 of 8 chunks THEN the next run sends only the other 5 and the CRC32C holds', async () => {
    const data = randomBytes(8 * CHUNK);
    const path = join(dir, 'eight-chunks.bin');
    writeFileSync(path, data);
    const journal = memoryJournal();
    fake.faults.add({ method: 'PUT', path: 'upload_id', nth: 4, fault: { status: 503 } });
    const first = fileChunkSource(path, data.length);
    await expect(
      uploadResumable(store.api, 'resume-bucket', 'eight.bin', first, {
        fields: {},
        chunkSize: CHUNK,
        retry,
        journal,
      }),
    ).rejects.toMatchObject({ code: 'E_TRANSIENT' });
    await first.close();
    expect(journal.record).toMatchObject({ committed: 3 * CHUNK });
    expect(await store.stat('eight.bin')).toBeUndefined();

    const before = fake.counters.uploadedBytes;
    const second = fileChunkSource(path, data.length);
    const object = await uploadResumable(store.api, 'resume-bucket', 'eight.bin', second, {
      fields: {},
      chunkSize: CHUNK,
      retry,
      journal,
    });
    await second.close();
    expect(fake.counters.uploadedBytes - before).toBe(5 * CHUNK);
    expect(object.crc32c).toBe(crc32cBase64(crc32c(data)));
    expect(journal.record).toBeUndefined();
    expect((await store.read('eight.bin')).equals(data)).toBe(true);
  });

  it('GIVEN an upload that goes well THEN its journal is written once, with the session, and cleared at the end', async () => {
    const data = randomBytes(6 * CHUNK + 99);
    const path = join(dir, 'smooth.bin');
    writeFileSync(path, data);
    const journal = memoryJournal();
    const saved: number[] = [];
    const save = journal.save;
    journal.save = async (record) => {
      saved.push(record.committed);
      await save(record);
    };
    const source = fileChunkSource(path, data.length);
    await uploadResumable(store.api, 'resume-bucket', 'smooth.bin', source, {
      fields: {},
      chunkSize: CHUNK,
      retry,
      journal,
    });
    await source.close();
    // The offset is saved only in large steps: a save per chunk (a rename each) stalled uploads on a busy disk.
    expect(saved).toEqual([0]);
    expect(journal.record).toBeUndefined();
  });

  it('GIVEN a journaled session the service no longer knows THEN starts over', async () => {
    const data = randomBytes(CHUNK + 10);
    const path = join(dir, 'expired.bin');
    writeFileSync(path, data);
    const journal = memoryJournal();
    journal.record = {
      uri: `${fake.endpoint}/upload/storage/v1/b/resume-bucket/o?upload_id=gone`,
      committed: CHUNK,
      crc: 0,
    };
    const source = fileChunkSource(path, data.length);
    const object = await uploadResumable(store.api, 'resume-bucket', 'expired.bin', source, {
      fields: {},
      chunkSize: CHUNK,
      retry,
      journal,
    });
    await source.close();
    expect(object.size).toBe(String(data.length));
  });

  it('keeps the on-disk journal only for the same file at the same size and mtime', async () => {
    const cache = join(dir, 'cache');
    const file = { size: 10, mtimeMs: 5 };
    const journal = sessionJournal(cache, 'gs://b/k', file);
    await journal.save({ uri: 'http://x/session', committed: 4, crc: 99 });
    expect(await sessionJournal(cache, 'gs://b/k', file).load()).toEqual({
      uri: 'http://x/session',
      committed: 4,
      crc: 99,
    });
    expect(await sessionJournal(cache, 'gs://b/k', { size: 10, mtimeMs: 6 }).load()).toBeUndefined();
    expect(await sessionJournal(cache, 'gs://b/other', file).load()).toBeUndefined();
    await journal.clear();
    expect(await journal.load()).toBeUndefined();
  });
});
