import { describe, expect, it } from 'vitest';
import { formatMtime, parseMtime, sameMtime } from '../../../src/storage/mtime.ts';

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

  it('treats times within a millisecond as the same', () => {
    expect(sameMtime(1_000_000_000n, 1_000_999_999n)).toBe(true);
    expect(sameMtime(1_000_000_000n, 1_001_000_000n)).toBe(false);
  });
});
