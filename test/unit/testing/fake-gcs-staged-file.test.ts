/**
 * Large blobs appended through staging slots (written with O_DIRECT where the
 * file system takes it): every size around the slot boundaries comes back
 * byte for byte, also when direct writes are refused.
 */

import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createStagedFile, SLOT_BYTES, StagingSlots } from '../../../src/testing/fake-gcs/staged-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'strato-staged-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;

/** Appends `data` in pieces of uneven sizes (as socket reads come), then reads the file back. */
async function roundTrip(data: Buffer, slots: StagingSlots): Promise<Buffer> {
  const path = join(dir, `blob-${files++}`);
  const file = await createStagedFile(path, slots);
  for (let from = 0, turn = 0; from < data.length; turn++) {
    const size = Math.min(data.length - from, 1 + ((turn * 48_271) % (200 * 1024)));
    await file.append(data.subarray(from, from + size));
    from += size;
  }
  await file.finish();
  return readFileSync(path);
}

/** Slots that claim to be aligned and are not: a direct write is refused as it would be by a pickier file system. */
class MisalignedSlots extends StagingSlots {
  override take() {
    return { slot: Buffer.allocUnsafeSlow(SLOT_BYTES + 1).subarray(1), aligned: true };
  }
}

describe('createStagedFile', () => {
  const sizes = [0, 1, SLOT_BYTES - 1, SLOT_BYTES, SLOT_BYTES + 1, 3 * SLOT_BYTES + 12_345];

  it.each(sizes)('GIVEN %i bytes THEN the file holds exactly them', async (size) => {
    const data = randomBytes(size);
    expect((await roundTrip(data, new StagingSlots())).equals(data)).toBe(true);
  });

  it('GIVEN a file system that refuses the direct writes THEN the same bytes go through the page cache', async () => {
    const slots = new MisalignedSlots();
    const data = randomBytes(2 * SLOT_BYTES + 999);
    expect((await roundTrip(data, slots)).equals(data)).toBe(true);
    expect(slots.direct).toBe(false);
  });

  it('GIVEN several files at once THEN none gets bytes of another (the slots are shared)', async () => {
    const slots = new StagingSlots();
    const datas = [0, 1, 2, 3, 4].map((i) => randomBytes(2 * SLOT_BYTES + i * 70_001));
    const backs = await Promise.all(datas.map((data) => roundTrip(data, slots)));
    for (const [i, back] of backs.entries()) expect(back.equals(datas[i]!)).toBe(true);
  });

  it('GIVEN a closed file THEN appending to it fails', async () => {
    const file = await createStagedFile(join(dir, 'closed'), new StagingSlots());
    file.append(randomBytes(1000));
    await file.close();
    expect(() => file.append(randomBytes(10))).toThrow(/closed/);
  });
});
