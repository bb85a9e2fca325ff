import { describe, expect, it } from 'vitest';
import { maskedCrc32c } from '../../../src/metrics/crc.ts';
import { scanRecords } from '../../../src/metrics/record-scanner.ts';
import {
  DEFAULT_MAX_RECORD_BYTES,
  encodeRecord,
  RECORD_HEADER_BYTES,
  readRecordAt,
} from '../../../src/metrics/tfrecord.ts';
import { seededBytes } from '../../support/event-files.ts';

/** Record by record with the plain single-record check: what the fast scanner must agree with. */
function referenceScan(buf: Buffer, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {
  const records: [number, number][] = [];
  let pos = 0;
  while (pos < buf.length) {
    const next = readRecordAt(buf, pos, maxRecordBytes);
    if (next.kind !== 'record') return { records, consumed: pos, stop: next.kind };
    records.push([next.dataStart, next.dataEnd]);
    pos = next.dataEnd + 4;
  }
  return { records, consumed: pos, stop: 'end' };
}

function fastScan(buf: Buffer, maxRecordBytes = DEFAULT_MAX_RECORD_BYTES) {
  const records: [number, number][] = [];
  const { consumed, stop } = scanRecords(
    buf,
    0,
    (start, end) => {
      records.push([start, end]);
      return true;
    },
    maxRecordBytes,
  );
  return { records, consumed, stop: stop.kind };
}

/** Many small records (checked in groups) and some large ones (checked one by one). */
function mixedRecords(count: number): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const size = i % 50 === 7 ? 5000 + i : (i * 37) % 120;
    parts.push(encodeRecord(seededBytes(size, i + 1)));
  }
  return Buffer.concat(parts);
}

/** A header claiming `length` bytes, with a valid length CRC. */
function headerClaiming(length: bigint): Buffer {
  const header = Buffer.alloc(RECORD_HEADER_BYTES);
  header.writeBigUInt64LE(length, 0);
  header.writeUInt32LE(maskedCrc32c(header.subarray(0, 8)), 8);
  return header;
}

describe('TFRecord framing', () => {
  it('GIVEN an encoded record WHEN read back THEN its data is found between the header and the footer', () => {
    const data = Buffer.from('an event');
    const framed = encodeRecord(data);
    expect(framed.length).toBe(8 + 4 + data.length + 4);
    expect(framed.readBigUInt64LE(0)).toBe(BigInt(data.length));
    const at = readRecordAt(framed, 0, DEFAULT_MAX_RECORD_BYTES);
    expect(at).toEqual({ kind: 'record', dataStart: 12, dataEnd: 12 + data.length });
  });

  it('finds every record of a long mix of small and large records, in order', () => {
    const buf = mixedRecords(1200);
    const fast = fastScan(buf);
    expect(fast.stop).toBe('end');
    expect(fast.records).toHaveLength(1200);
    expect(fast).toEqual(referenceScan(buf));
  });

  it('agrees with the record-by-record check on every single-bit flip it is shown', () => {
    const clean = mixedRecords(400);
    let corruptFound = 0;
    for (let trial = 0; trial < 300; trial++) {
      const buf = Buffer.from(clean);
      const bit = Number((BigInt(trial) * 7919n * 104729n) % BigInt(buf.length * 8));
      buf[bit >> 3]! ^= 1 << (bit & 7);
      const fast = fastScan(buf);
      expect(fast, `bit ${bit}`).toEqual(referenceScan(buf));
      if (fast.stop === 'corrupt') corruptFound++;
    }
    // A flip in a length can make the rest look like an incomplete record, never like valid data.
    expect(corruptFound).toBeGreaterThan(250);
  });

  it('reports a buffer cut anywhere as partial, with what would complete the cut record', () => {
    const records = [
      encodeRecord(Buffer.from('first')),
      encodeRecord(Buffer.alloc(5000, 1)),
      encodeRecord(Buffer.from('third')),
    ];
    const buf = Buffer.concat(records);
    const boundaries = [0, records[0]!.length, records[0]!.length + records[1]!.length, buf.length];
    for (let cut = 0; cut <= buf.length; cut += cut < 40 ? 1 : 97) {
      const { consumed, stop } = scanRecords(buf.subarray(0, cut), 0, () => true);
      const lastBoundary = Math.max(...boundaries.filter((b) => b <= cut));
      expect(consumed).toBe(lastBoundary);
      if (cut === lastBoundary) {
        expect(stop.kind).toBe('end');
        continue;
      }
      expect(stop.kind).toBe('partial');
      const cutRecord = records[boundaries.indexOf(lastBoundary)]!;
      const expectedNeed = cut - lastBoundary < RECORD_HEADER_BYTES ? RECORD_HEADER_BYTES : cutRecord.length;
      expect(stop).toEqual({ kind: 'partial', needBytes: expectedNeed });
    }
  });

  it('pauses after the group in which onRecord asked to stop, and resumes from there', () => {
    const buf = mixedRecords(1000);
    let seen = 0;
    let scans = 0;
    let from = 0;
    for (;;) {
      scans++;
      const { consumed, stop } = scanRecords(buf, from, () => {
        seen++;
        return seen % 100 !== 0;
      });
      from = consumed;
      if (stop.kind !== 'paused') {
        expect(stop.kind).toBe('end');
        break;
      }
    }
    expect(seen).toBe(1000);
    expect(scans).toBeGreaterThan(5);
  });

  it('rejects a 4 GB length claim with a valid length CRC at once, instead of waiting for the bytes', () => {
    const buf = Buffer.concat([
      encodeRecord(Buffer.from('ok')),
      headerClaiming(2n ** 32n),
      Buffer.alloc(100),
    ]);
    const { consumed, stop } = scanRecords(buf, 0, () => true);
    expect(consumed).toBe(18);
    expect(stop).toEqual({
      kind: 'corrupt',
      reason: `record claims 4294967296 bytes, more than the ${DEFAULT_MAX_RECORD_BYTES}-byte limit`,
    });
  });

  it('rejects a length past a smaller cap, and accepts one exactly at it', () => {
    const atCap = encodeRecord(Buffer.alloc(100, 2));
    expect(scanRecords(atCap, 0, () => true, 100).stop.kind).toBe('end');
    const overCap = encodeRecord(Buffer.alloc(101, 2));
    expect(scanRecords(overCap, 0, () => true, 100).stop).toMatchObject({ kind: 'corrupt' });
  });

  it('treats a length whose CRC does not match as corrupt, even when the length is plausible', () => {
    const buf = encodeRecord(Buffer.from('hello'));
    buf[0] = 3; // length 5 -> 3; the length CRC no longer matches
    expect(scanRecords(buf, 0, () => true)).toEqual({
      consumed: 0,
      stop: { kind: 'corrupt', reason: expect.stringMatching(/^length CRC mismatch/) },
    });
    const huge = headerClaiming(2n ** 32n);
    huge[9]! ^= 0xff;
    expect(readRecordAt(huge, 0, DEFAULT_MAX_RECORD_BYTES)).toMatchObject({
      kind: 'corrupt',
      reason: expect.stringMatching(/^length CRC mismatch \(stored 0x[0-9a-f]{8}, computed 0x[0-9a-f]{8}\)$/),
    });
  });
});
