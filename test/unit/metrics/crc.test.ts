import { readFileSync } from 'node:fs';
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { maskCrc, maskedCrc32c, unmaskCrc } from '../../../src/metrics/crc.ts';
import { FIXTURE } from '../../support/event-files.ts';

describe('masked CRC32C', () => {
  it('uses Castagnoli: the standard check value of "123456789" is 0xe3069283', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('masks as ((c >>> 15) | (c << 17)) + 0xa282ead8, modulo 2^32', () => {
    const c = 0xe3069283;
    const expected = (((c >>> 15) | (c << 17)) + 0xa282ead8) % 2 ** 32;
    expect(maskCrc(c)).toBe(expected >>> 0);
    expect(maskCrc(0)).toBe(0xa282ead8);
  });

  it('unmasks what it masks', () => {
    for (const c of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xe3069283, 0x12345678]) {
      expect(unmaskCrc(maskCrc(c))).toBe(c);
    }
  });

  it('matches the CRCs TensorFlow wrote in a real event file', () => {
    const file = readFileSync(FIXTURE);
    const length = file.readUInt32LE(0);
    expect(maskedCrc32c(file.subarray(0, 8))).toBe(file.readUInt32LE(8));
    expect(maskedCrc32c(file.subarray(12, 12 + length))).toBe(file.readUInt32LE(12 + length));
  });
});
