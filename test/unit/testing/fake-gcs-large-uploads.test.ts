/**
 * Resumable uploads of several MiB into the fake, in memory and on disk
 * (where bytes go through staging slots and the MD5 is taken in a worker):
 * exact bytes, CRC32C and MD5 across chunk and slot boundaries, a chunk cut
 * off half-way and resumed, and no file left by a cancelled upload.
 */

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../../src/storage/checksum.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

const MIB = 1024 * 1024;
const md5Of = (data: Buffer) => createHash('md5').update(data).digest('base64');

const dataDir = mkdtempSync(join(tmpdir(), 'strato-fake-gcs-large-'));
const fakes: Record<'memory' | 'disk', FakeGcs> = {} as never;
beforeAll(async () => {
  fakes.memory = await startFakeGcs({ buckets: ['big'] });
  fakes.disk = await startFakeGcs({ dataDir, buckets: ['big'] });
});
afterAll(async () => {
  await Promise.all(Object.values(fakes).map((fake) => fake.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function startSession(fake: FakeGcs, name: string): Promise<string> {
  const res = await fetch(`${fake.endpoint}/upload/storage/v1/b/big/o?uploadType=resumable&name=${name}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(200);
  return res.headers.get('location')!;
}

const putChunk = (uri: string, data: Buffer, start: number, total: number | '*') =>
  fetch(uri, {
    method: 'PUT',
    headers: { 'content-range': `bytes ${start}-${start + data.length - 1}/${total}` },
    body: data,
  });

async function metadataOf(fake: FakeGcs, name: string) {
  return (await (await fetch(`${fake.endpoint}/storage/v1/b/big/o/${name}`)).json()) as {
    size: string;
    crc32c: string;
    md5Hash: string;
  };
}

async function download(fake: FakeGcs, name: string): Promise<Buffer> {
  return Buffer.from(
    await (await fetch(`${fake.endpoint}/storage/v1/b/big/o/${name}?alt=media`)).arrayBuffer(),
  );
}

describe.each(['memory', 'disk'] as const)('large resumable uploads (%s)', (mode) => {
  it('GIVEN 3 MiB chunks of a 9 MiB + 5 B object THEN its bytes, CRC32C and MD5 are exact', async () => {
    const fake = fakes[mode];
    const data = randomBytes(9 * MIB + 5);
    const uri = await startSession(fake, 'chunked.bin');
    for (let start = 0; start < data.length; start += 3 * MIB) {
      const chunk = data.subarray(start, start + 3 * MIB);
      const last = start + chunk.length === data.length;
      const res = await putChunk(uri, chunk, start, last ? data.length : '*');
      expect(res.status).toBe(last ? 200 : 308);
    }
    expect(await metadataOf(fake, 'chunked.bin')).toMatchObject({
      size: String(data.length),
      crc32c: crc32cBase64(crc32c(data)),
      md5Hash: md5Of(data),
    });
    expect((await download(fake, 'chunked.bin')).equals(data)).toBe(true);
  });

  it('GIVEN a chunk cut off half-way THEN the session keeps what arrived and the upload resumes to the right MD5', async () => {
    const fake = fakes[mode];
    const data = randomBytes(6 * MIB + 77);
    const uri = await startSession(fake, 'resumed.bin');
    // Declares the whole object, sends a little over 2 MiB of it, and hangs up.
    await new Promise<void>((resolve) => {
      const req = request(uri, {
        method: 'PUT',
        headers: {
          'content-range': `bytes 0-${data.length - 1}/${data.length}`,
          'content-length': data.length,
        },
      });
      req.on('error', () => resolve());
      req.write(data.subarray(0, 2 * MIB + 4321), () => setTimeout(() => req.destroy(), 100));
    });
    // A status query waits for the cut request to be settled (requests on a session take turns).
    const status = await fetch(uri, {
      method: 'PUT',
      headers: { 'content-range': `bytes */${data.length}` },
    });
    expect(status.status).toBe(308);
    const committed = Number(/bytes=0-(\d+)/.exec(status.headers.get('range')!)![1]) + 1;
    expect(committed).toBeGreaterThan(0);
    expect(committed).toBeLessThanOrEqual(2 * MIB + 4321);
    const res = await putChunk(uri, data.subarray(committed), committed, data.length);
    expect(res.status).toBe(200);
    expect(await metadataOf(fake, 'resumed.bin')).toMatchObject({
      crc32c: crc32cBase64(crc32c(data)),
      md5Hash: md5Of(data),
    });
    expect((await download(fake, 'resumed.bin')).equals(data)).toBe(true);
  });
});

describe('on disk', () => {
  it('GIVEN an upload cancelled after some chunks THEN no file of it is left', async () => {
    const blobs = () => (existsSync(join(dataDir, 'blobs')) ? readdirSync(join(dataDir, 'blobs')).length : 0);
    const blobsBefore = blobs();
    const uri = await startSession(fakes.disk, 'cancelled.bin');
    expect((await putChunk(uri, randomBytes(5 * MIB), 0, '*')).status).toBe(308);
    expect(blobs()).toBe(blobsBefore + 1);
    expect((await fetch(uri, { method: 'DELETE' })).status).toBe(499);
    expect(blobs()).toBe(blobsBefore);
  });
});
