/**
 * The resumable-upload protocol of the fake, request by request, as clients
 * other than the Node library speak it (Go's X-GUploader-No-308, status
 * queries, overlapping resends, cancellation), and its on-disk mode.
 */

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32cBase64 } from '../../../src/storage/checksum.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';

let fake: FakeGcs;
beforeAll(async () => {
  fake = await startFakeGcs({ buckets: ['proto-bucket'] });
});
afterAll(() => fake.close());

async function startSession(name: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(
    `${fake.endpoint}/upload/storage/v1/b/proto-bucket/o?uploadType=resumable&name=${name}`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: '{}',
    },
  );
  expect(res.status).toBe(200);
  return res.headers.get('location')!;
}

const put = (uri: string, contentRange: string, body = '', headers: Record<string, string> = {}) =>
  fetch(uri, { method: 'PUT', headers: { 'content-range': contentRange, ...headers }, body });

const objectExists = async (name: string) =>
  (await fetch(`${fake.endpoint}/storage/v1/b/proto-bucket/o/${encodeURIComponent(name)}`)).status === 200;

describe('resumable uploads', () => {
  it('GIVEN chunks THEN 308 with the committed Range until the last one, and no object before it', async () => {
    const uri = await startSession('chunks');
    const first = await put(uri, 'bytes 0-3/*', 'abcd');
    expect(first.status).toBe(308);
    expect(first.headers.get('range')).toBe('bytes=0-3');
    expect(await objectExists('chunks')).toBe(false);
    const status = await put(uri, 'bytes */*');
    expect(status.status).toBe(308);
    expect(status.headers.get('range')).toBe('bytes=0-3');
    const last = await put(uri, 'bytes 4-5/6', 'ef');
    expect(last.status).toBe(200);
    expect(await last.json()).toMatchObject({
      name: 'chunks',
      size: '6',
      crc32c: crc32cBase64(crc32c(Buffer.from('abcdef'))),
    });
  });

  it('GIVEN a fresh session THEN a status query answers 308 without a Range header', async () => {
    const uri = await startSession('fresh');
    const res = await put(uri, 'bytes */*');
    expect(res.status).toBe(308);
    expect(res.headers.get('range')).toBeNull();
  });

  it('GIVEN X-GUploader-No-308 THEN "incomplete" comes as 200 with X-Http-Status-Code-Override: 308', async () => {
    const uri = await startSession('go-client');
    const res = await fetch(uri, {
      method: 'POST',
      headers: { 'content-range': 'bytes 0-2/*', 'x-guploader-no-308': 'yes' },
      body: 'abc',
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-http-status-code-override')).toBe('308');
    expect(res.headers.get('range')).toBe('bytes=0-2');
  });

  it('GIVEN a resend overlapping committed bytes THEN only the new bytes are kept', async () => {
    const uri = await startSession('overlap');
    await put(uri, 'bytes 0-3/*', 'abcd');
    const res = await put(uri, 'bytes 2-5/6', 'cdef');
    expect(res.status).toBe(200);
    const back = await fetch(`${fake.endpoint}/storage/v1/b/proto-bucket/o/overlap?alt=media`);
    expect(await back.text()).toBe('abcdef');
  });

  it('GIVEN a status query naming the total that is all there THEN it finalises; a repeat returns the object again', async () => {
    const uri = await startSession('finalise-by-query');
    await put(uri, 'bytes 0-2/*', 'xyz');
    const done = await put(uri, 'bytes */3');
    expect(done.status).toBe(200);
    const again = await put(uri, 'bytes 0-2/3', 'xyz');
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ name: 'finalise-by-query', size: '3' });
  });

  it('GIVEN a wrong X-Goog-Hash on the last chunk THEN 400 and no object', async () => {
    const uri = await startSession('bad-hash');
    const res = await put(uri, 'bytes 0-2/3', 'abc', { 'x-goog-hash': 'crc32c=AAAAAA==' });
    expect(res.status).toBe(400);
    expect(await objectExists('bad-hash')).toBe(false);
  });

  it('GIVEN a cancelled session THEN 499, and later requests find it gone', async () => {
    const uri = await startSession('cancelled');
    await put(uri, 'bytes 0-2/*', 'abc');
    expect((await fetch(uri, { method: 'DELETE' })).status).toBe(499);
    expect((await put(uri, 'bytes */*')).status).toBe(410);
    expect(await objectExists('cancelled')).toBe(false);
  });

  it('GIVEN X-Upload-Content-Length THEN a session ending at another size is refused', async () => {
    const uri = await startSession('declared', { 'x-upload-content-length': '10' });
    const res = await put(uri, 'bytes 0-2/3', 'abc');
    expect(res.status).toBe(400);
  });
});

describe('on disk', () => {
  it('keeps bytes in files under the data dir and the index across a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'strato-fake-gcs-'));
    try {
      const first = await startFakeGcs({ dataDir, buckets: ['disk-bucket'] });
      const body = Buffer.alloc(300_000, 7);
      const upload = await fetch(
        `${first.endpoint}/upload/storage/v1/b/disk-bucket/o?uploadType=media&name=kept.bin`,
        {
          method: 'POST',
          body,
        },
      );
      expect(upload.status).toBe(200);
      expect(readdirSync(join(dataDir, 'blobs'))).toHaveLength(1);
      await first.close();

      const second = await startFakeGcs({ dataDir, buckets: ['disk-bucket'] });
      const back = await fetch(`${second.endpoint}/storage/v1/b/disk-bucket/o/kept.bin?alt=media`);
      expect(Buffer.from(await back.arrayBuffer()).equals(body)).toBe(true);
      await second.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
