/**
 * TFRecord framing, the container of TensorBoard event files:
 *
 *     uint64 length (little-endian)
 *     uint32 masked CRC32C of the 8 length bytes
 *     byte   data[length]
 *     uint32 masked CRC32C of the data
 *
 * Source: tensorflow/core/lib/io/record_writer.h (the format comment) and
 * record_reader.cc. A reader checks the length's own CRC before trusting the
 * length for anything, and caps it, so a corrupt or hostile length never
 * drives an allocation or a read.
 */

import { maskedCrc32c } from './crc.ts';
import { RECORD_FOOTER_BYTES, RECORD_HEADER_BYTES, RECORD_OVERHEAD_BYTES } from './tfrecord-layout.ts';

export { RECORD_FOOTER_BYTES, RECORD_HEADER_BYTES, RECORD_OVERHEAD_BYTES };
/**
 * Largest record a reader accepts. Scalar events are under 100 bytes; the
 * largest legitimate events (a GraphDef, an image batch) are a few MB. A
 * length past this, even with a valid length CRC, is treated as corruption
 * rather than buffered.
 */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024 * 1024;

/** Frames `data` as one TFRecord. */
export function encodeRecord(data: Uint8Array): Buffer {
  const record = Buffer.allocUnsafe(RECORD_OVERHEAD_BYTES + data.length);
  record.writeBigUInt64LE(BigInt(data.length), 0);
  record.writeUInt32LE(maskedCrc32c(record.subarray(0, 8)), 8);
  record.set(data, RECORD_HEADER_BYTES);
  record.writeUInt32LE(maskedCrc32c(data), RECORD_HEADER_BYTES + data.length);
  return record;
}

/** What is at one position of a buffer of records. */
export type RecordAt =
  /** A whole record whose CRCs match; its data is `buf[dataStart, dataEnd)`. */
  | { kind: 'record'; dataStart: number; dataEnd: number }
  /** The buffer ends inside this record; `needBytes` from its start would complete it. */
  | { kind: 'partial'; needBytes: number }
  /** The record fails a check; nothing from here on can be trusted. */
  | { kind: 'corrupt'; reason: string };

const hex = (value: number) => `0x${value.toString(16).padStart(8, '0')}`;

/** Reads and fully checks the record starting at `pos` (the slow, always-correct path). */
export function readRecordAt(buf: Buffer, pos: number, maxRecordBytes: number): RecordAt {
  if (buf.length - pos < RECORD_HEADER_BYTES) return { kind: 'partial', needBytes: RECORD_HEADER_BYTES };
  const storedLengthCrc = buf.readUInt32LE(pos + 8);
  const lengthCrc = maskedCrc32c(buf.subarray(pos, pos + 8));
  if (storedLengthCrc !== lengthCrc) {
    return {
      kind: 'corrupt',
      reason: `length CRC mismatch (stored ${hex(storedLengthCrc)}, computed ${hex(lengthCrc)})`,
    };
  }
  const lengthLow = buf.readUInt32LE(pos);
  const lengthHigh = buf.readUInt32LE(pos + 4);
  if (lengthHigh !== 0 || lengthLow > maxRecordBytes) {
    const claimed = lengthHigh * 2 ** 32 + lengthLow;
    return {
      kind: 'corrupt',
      reason: `record claims ${claimed} bytes, more than the ${maxRecordBytes}-byte limit`,
    };
  }
  const dataStart = pos + RECORD_HEADER_BYTES;
  const dataEnd = dataStart + lengthLow;
  if (dataEnd + RECORD_FOOTER_BYTES > buf.length) {
    return { kind: 'partial', needBytes: lengthLow + RECORD_OVERHEAD_BYTES };
  }
  const storedDataCrc = buf.readUInt32LE(dataEnd);
  const dataCrc = maskedCrc32c(buf.subarray(dataStart, dataEnd));
  if (storedDataCrc !== dataCrc) {
    return {
      kind: 'corrupt',
      reason: `data CRC mismatch (stored ${hex(storedDataCrc)}, computed ${hex(dataCrc)}) in a ${lengthLow}-byte record`,
    };
  }
  return { kind: 'record', dataStart, dataEnd };
}
