import { describe, expect, it } from 'vitest';
import { formatMtime, mtimeKey, mtimeMsOf, parseMtime, sameMtimeMs } from '../../../src/storage/mtime.ts';

describe('mtime metadata', () => {
  it("formats nanoseconds as RFC 3339 (rclone's format) and parses them back exactly", () => {
    const ns = 1_700_000_000_123_456_789n;
    expect(formatMtime(ns)).toBe('2023-11-14T22:13:20.123456789Z');
    expect(parseMtime(formatMtime(ns))).toBe(ns);
  });

  it('parses fewer fraction digits and zone offsets', () => {
    expect(parseMtime('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000_000_000n);
    expect(parseMtime('2023-11-14T23:13:20.5+01:00')).toBe(1_700_000_000_500_000_000n);
    expect(parseMtime('yesterday')).toBeUndefined();
    expect(parseMtime(undefined)).toBeUndefined();
  });

  it('reads times as float milliseconds to the microsecond, the common form without a regex', () => {
    expect(mtimeMsOf('2023-11-14T22:13:20.123456789Z')).toBeCloseTo(1_700_000_000_123.457, 3);
    expect(mtimeMsOf('2023-11-14T22:13:20Z')).toBe(1_700_000_000_000);
    expect(mtimeMsOf('2023-11-14T22:13:20.5Z')).toBe(1_700_000_000_500);
    expect(mtimeMsOf('2023-11-14T22:13:20.1234567891234Z')).toBeCloseTo(1_700_000_000_123.457, 3);
    // Other forms take the general parser and agree with it.
    expect(mtimeMsOf('2023-11-14T23:13:20.5+01:00')).toBe(1_700_000_000_500);
    for (const bad of [
      'yesterday',
      '2023-11-14T22:13:20.Z',
      '2023-13-14T22:13:20Z',
      '2023-11-14T22:13:2xZ',
      '',
    ])
      expect(mtimeMsOf(bad)).toBeUndefined();
    expect(mtimeMsOf(undefined)).toBeUndefined();
  });

  it('agrees with the nanosecond parser on the times formatMtime writes', () => {
    for (const ns of [0n, 1n, 999_999n, 1_700_000_000_123_456_789n, 4_102_444_799_999_999_999n]) {
      expect(mtimeMsOf(formatMtime(ns))).toBeCloseTo(Number(ns) / 1e6, 3);
    }
  });

  it('compares millisecond times with the same one-millisecond window, and keys caches by nanoseconds as before', () => {
    expect(sameMtimeMs(1000, 1000.999)).toBe(true);
    expect(sameMtimeMs(1000, 1001)).toBe(false);
    expect(mtimeKey(1_700_000_000_123.456)).toBe(String(BigInt(Math.round(1_700_000_000_123.456 * 1e6))));
  });
});
