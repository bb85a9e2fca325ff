/**
 * Finds and checks the TFRecords in a buffer, fast.
 *
 * Checking each record with two native CRC calls costs ~200 ns a call in
 * call overhead alone, more than the CRC of a 70-byte scalar event takes to
 * compute. So small records are checked in groups with one native CRC call
 * over the whole group, using two properties of CRCs (with `raw(x, s)` the
 * CRC register after feeding `x` from state `s`, no inversions):
 *
 * 1. Appending the little-endian `raw(M, 0)` to `M` makes `raw(M ‖ r, 0) = 0`,
 *    and a concatenation of such blocks also has `raw = 0`: the register
 *    stays 0 from one block to the next.
 * 2. TFRecord stores `C = crc32c(M)` (masked); by linearity in the start
 *    state, `raw(M, 0) = C ^ crc32c(zeros(|M|))`, a per-length constant.
 *
 * The scanner walks a group of records by their (not yet trusted) lengths,
 * copies the group to a scratch buffer, rewrites each stored CRC there into
 * `raw(M, 0)`, and checks the group at once: `crc32c(group, 0xffffffff) === 0xffffffff` (the library's initial
 * state is inverted, so that is `raw(group, 0) = 0`). One failed block makes
 * the group fail (the CRC of the group is that block's residue, shifted by an
 * invertible map); then each record of the group is checked alone to find it.
 * A length is used only to find the next record inside the buffer; a length
 * that would reach past the buffer, or past the cap, is checked on its own
 * before anything relies on it.
 */

import { crc32c } from '@node-rs/crc32';
import { unmaskCrc } from './crc.ts';
import {
  DEFAULT_MAX_RECORD_BYTES,
  RECORD_FOOTER_BYTES,
  RECORD_HEADER_BYTES,
  RECORD_OVERHEAD_BYTES,
  readRecordAt,
} from './tfrecord.ts';

/** Records with more data than this are checked one by one (their CRC dwarfs the call overhead). */
const GROUP_MAX_DATA_BYTES = 4096;
/** Bytes per group: a failed group costs a single check of each of its records. */
const GROUP_MAX_BYTES = 64 * 1024;
/** The initial state that makes @node-rs/crc32's `crc32c(x, s)` compute `~raw(x, 0)`. */
const RAW_ZERO_STATE = 0xffffffff;

/** Why the scanner stopped before the end of the buffer. */
export type ScanStop =
  /** Every byte was consumed: the buffer ended exactly at a record boundary. */
  | { kind: 'end' }
  /** `onRecord` asked to stop; scan again from `consumed` to go on. */
  | { kind: 'paused' }
  /** The buffer ends inside a record; `needBytes` (from `consumed`) would complete it. */
  | { kind: 'partial'; needBytes: number }
  /** The record at `consumed` fails a check; nothing after it can be trusted. */
  | { kind: 'corrupt'; reason: string };

export interface ScanResult {
  /** Index just past the last whole, valid record handed to `onRecord`. */
  consumed: number;
  stop: ScanStop;
}

/** `crc32c(zeros(n))` by `n`, filled on demand (a table of constants, not state). */
const zerosCrcByLength: number[] = [];
const ZEROS = Buffer.alloc(GROUP_MAX_DATA_BYTES);

function zerosCrc(length: number): number {
  let crc = zerosCrcByLength[length];
  if (crc === undefined) {
    crc = crc32c(ZEROS.subarray(0, length));
    zerosCrcByLength[length] = crc;
  }
  return crc;
}

/** Rewrites the masked CRC at `at`, of the `length` bytes before it, into `raw(bytes, 0)`. */
function rewriteCrc(view: DataView, at: number, length: number): void {
  view.setUint32(at, (unmaskCrc(view.getUint32(at, true)) ^ zerosCrc(length)) >>> 0, true);
}

/** True when `bytes` (blocks of data + rewritten CRC) are intact. */
function blocksIntact(bytes: Buffer): boolean {
  return crc32c(bytes, RAW_ZERO_STATE) === RAW_ZERO_STATE;
}

/**
 * Walks the records in `buf` from index `from`, calling `onRecord(start, end)`
 * with the data bounds of each valid one (indexes into `buf`; no copies). Stops
 * at the first incomplete or corrupt record, or at the end of a group of
 * records in which `onRecord` returned `false`. `buf` is not modified: groups
 * are checked in a scratch copy.
 */
export function scanRecords(
  buf: Buffer,
  from: number,
  onRecord: (dataStart: number, dataEnd: number) => boolean | undefined,
  maxRecordBytes: number = DEFAULT_MAX_RECORD_BYTES,
): ScanResult {
  // DataView accessors are several times faster than Buffer's readUInt32LE here.
  const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
  const scratch = Buffer.allocUnsafe(GROUP_MAX_BYTES);
  const scratchView = new DataView(scratch.buffer, scratch.byteOffset, scratch.length);
  const starts: number[] = [];
  const groupMaxDataBytes = Math.min(GROUP_MAX_DATA_BYTES, maxRecordBytes);
  let pos = from;
  for (;;) {
    // A group of small records that lie wholly in the buffer, found by their (unchecked) lengths.
    starts.length = 0;
    let end = pos;
    let groupFull = false;
    while (buf.length - end >= RECORD_HEADER_BYTES) {
      const length = view.getUint32(end, true);
      const recordEnd = end + RECORD_OVERHEAD_BYTES + length;
      if (view.getUint32(end + 4, true) !== 0 || length > groupMaxDataBytes || recordEnd > buf.length) break;
      if (recordEnd - pos > GROUP_MAX_BYTES) {
        groupFull = true;
        break;
      }
      starts.push(end);
      end = recordEnd;
    }
    let keepGoing = true;
    if (starts.length > 0) {
      const group = scratch.subarray(0, end - pos);
      buf.copy(group, 0, pos, end);
      for (const start of starts) {
        const at = start - pos;
        const length = scratchView.getUint32(at, true);
        rewriteCrc(scratchView, at + 8, 8);
        rewriteCrc(scratchView, at + RECORD_HEADER_BYTES + length, length);
      }
      const groupIntact = blocksIntact(group);
      for (const start of starts) {
        const dataStart = start + RECORD_HEADER_BYTES;
        const dataEnd = dataStart + view.getUint32(start, true);
        if (!groupIntact) {
          const problem = recordProblem(buf, start, maxRecordBytes);
          if (problem) return { consumed: start, stop: { kind: 'corrupt', reason: problem } };
        }
        if (onRecord(dataStart, dataEnd) === false) keepGoing = false;
        pos = dataEnd + RECORD_FOOTER_BYTES;
      }
    }
    if (pos === buf.length) return { consumed: pos, stop: { kind: 'end' } };
    if (!keepGoing) return { consumed: pos, stop: { kind: 'paused' } };
    if (!groupFull) {
      // The next record is large, incomplete or suspect: check it on its own.
      const next = readRecordAt(buf, pos, maxRecordBytes);
      if (next.kind !== 'record') return { consumed: pos, stop: next };
      pos = next.dataEnd + RECORD_FOOTER_BYTES;
      if (onRecord(next.dataStart, next.dataEnd) === false) {
        return { consumed: pos, stop: pos === buf.length ? { kind: 'end' } : { kind: 'paused' } };
      }
    }
  }
}

/** Why the record at `start` of a failed group fails its own check, if it does. */
function recordProblem(buf: Buffer, start: number, maxRecordBytes: number): string | undefined {
  const record = readRecordAt(buf, start, maxRecordBytes);
  return record.kind === 'corrupt' ? record.reason : undefined;
}
