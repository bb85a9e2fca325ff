/**
 * The fake's MD5 worker: bytes handed over (their memory moves to the
 * worker) and bytes copied through shared slots, in any mix and across
 * uploads, hash as the plain MD5 of each upload's bytes in order.
 */

import { createHash, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Md5Worker } from '../../../src/testing/fake-gcs/md5-worker.ts';

const md5Of = (parts: Buffer[]) => {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest('base64');
};

/** A buffer that is the whole of its own memory, as socket reads are. */
const owned = (size: number) => Buffer.from(new Uint8Array(randomBytes(size)).buffer);

let worker: Md5Worker;
beforeEach(() => {
  worker = new Md5Worker();
});
afterEach(() => worker.close());

describe('Md5Worker', () => {
  it('GIVEN pieces handed over and copied, interleaved over three uploads THEN each digest is the MD5 of its bytes', async () => {
    const uploads = [0, 1, 2].map(() => ({ md5: worker.accumulator(), sent: [] as Buffer[] }));
    const given: { piece: Buffer; handOver: boolean; size: number }[] = [];
    for (let round = 0; round < 60; round++) {
      for (const [index, upload] of uploads.entries()) {
        const size = 1 + ((round * 7919 + index * 104729) % (300 * 1024));
        const handOver = (round + index) % 3 !== 0;
        // Copied pieces include slices of a larger buffer, which are never moved.
        const piece = handOver ? owned(size) : randomBytes(size + 10).subarray(5, 5 + size);
        upload.sent.push(Buffer.from(piece));
        given.push({ piece, handOver, size });
        const wait = upload.md5.update(piece, handOver);
        if (wait) await wait;
      }
      if (round % 17 === 0) for (const upload of uploads) upload.md5.flush();
    }
    const digests = await Promise.all(uploads.map((upload) => upload.md5.digest()));
    expect(digests).toEqual(uploads.map((upload) => md5Of(upload.sent)));
    // Memory handed over has moved (reads as empty); what was copied is untouched.
    for (const { piece, handOver, size } of given) expect(piece.length).toBe(handOver ? 0 : size);
  });

  it('GIVEN a slice handed over THEN it is copied instead, leaving the buffer it is part of untouched', async () => {
    const md5 = worker.accumulator();
    const whole = randomBytes(1000);
    const slice = whole.subarray(100, 600);
    md5.update(slice, true);
    expect(whole.length).toBe(1000);
    expect(await md5.digest()).toBe(md5Of([whole.subarray(100, 600)]));
  });

  it('GIVEN more bytes at once than may wait THEN update asks the caller to wait, until they are hashed', async () => {
    const md5 = worker.accumulator();
    const sent: Buffer[] = [];
    let wait: Promise<void> | undefined;
    // Replies arrive only between turns of the event loop, so this loop sees none of them.
    for (let i = 0; i < 40 && !wait; i++) {
      const piece = owned(1024 * 1024);
      sent.push(Buffer.from(piece));
      wait = md5.update(piece, true);
    }
    expect(wait).toBeInstanceOf(Promise);
    await wait;
    expect(md5.update(Buffer.alloc(0))).toBeUndefined();
    expect(await md5.digest()).toBe(md5Of(sent));
  });

  it('GIVEN an upload dropped half-way THEN the others still hash right, and an empty one hashes as empty', async () => {
    const dropped = worker.accumulator();
    const kept = worker.accumulator();
    const empty = worker.accumulator();
    const data = randomBytes(3 * 1024 * 1024 + 17);
    dropped.update(randomBytes(2 * 1024 * 1024 + 3));
    kept.update(data.subarray(0, 1_500_000));
    dropped.drop();
    kept.update(data.subarray(1_500_000));
    expect(await kept.digest()).toBe(md5Of([data]));
    expect(await empty.digest()).toBe(md5Of([]));
  });
});
