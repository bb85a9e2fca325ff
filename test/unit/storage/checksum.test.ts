import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  crc32cBase64,
  crc32cFromBase64,
  crc32cOf,
  crc32cOfFile,
  crc32cUpdate,
  parseGoogHash,
} from '../../../src/storage/checksum.ts';

describe('CRC32C', () => {
  it('matches the published check value (RFC 3720: "123456789" → 0xE3069283)', () => {
    expect(crc32cOf(Buffer.from('123456789'))).toBe(0xe3069283);
    expect(crc32cBase64(0xe3069283)).toBe('4waSgw==');
    expect(crc32cFromBase64('4waSgw==')).toBe(0xe3069283);
  });

  it('continues across pieces and over a file range', async () => {
    const whole = Buffer.from('the quick brown fox');
    expect(crc32cUpdate(crc32cOf(whole.subarray(0, 7)), whole.subarray(7))).toBe(crc32cOf(whole));
    const dir = mkdtempSync(join(tmpdir(), 'strato-crc-'));
    try {
      writeFileSync(join(dir, 'f'), whole);
      expect(await crc32cOfFile(join(dir, 'f'))).toBe(crc32cOf(whole));
      expect(await crc32cOfFile(join(dir, 'f'), 4, 9)).toBe(crc32cOf(whole.subarray(4, 9)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads x-goog-hash headers', () => {
    expect(parseGoogHash('crc32c=4waSgw==,md5=abc==')).toEqual({ crc32c: '4waSgw==', md5: 'abc==' });
    expect(parseGoogHash(['crc32c=AAAAAA==', 'md5=x'])).toEqual({ crc32c: 'AAAAAA==', md5: 'x' });
    expect(parseGoogHash(undefined)).toEqual({});
  });
});
