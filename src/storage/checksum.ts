/**
 * CRC32C as Cloud Storage reports it: base64 of the big-endian 4 bytes
 * (https://cloud.google.com/storage/docs/hashes-etags). Native (SSE4.2) CRC32C
 * from @node-rs/crc32, so hashing is never what limits an upload.
 */

import { createReadStream } from 'node:fs';
import { crc32c } from '@node-rs/crc32';

export function crc32cBase64(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0);
  return bytes.toString('base64');
}

/** The number behind a base64 CRC32C, or undefined when it is not one. */
export function crc32cFromBase64(value: string): number | undefined {
  const bytes = Buffer.from(value, 'base64');
  return bytes.length === 4 ? bytes.readUInt32BE(0) : undefined;
}

export function crc32cOf(data: Buffer, initial = 0): number {
  return crc32c(data, initial) >>> 0;
}

/** Continues a running CRC32C over more bytes. */
export function crc32cUpdate(running: number, data: Buffer): number {
  return crc32c(data, running) >>> 0;
}

/** Parses `x-goog-hash: crc32c=AAAAAA==,md5=...` into its parts. */
export function parseGoogHash(header: string | string[] | undefined): { crc32c?: string; md5?: string } {
  const out: { crc32c?: string; md5?: string } = {};
  const values = Array.isArray(header) ? header : header ? [header] : [];
  for (const value of values) {
    for (const pair of value.split(',')) {
      const at = pair.indexOf('=');
      if (at === -1) continue;
      const name = pair.slice(0, at).trim().toLowerCase();
      const hash = pair.slice(at + 1).trim();
      if (name === 'crc32c') out.crc32c = hash;
      else if (name === 'md5') out.md5 = hash;
    }
  }
  return out;
}

/** CRC32C of bytes `start` to `end` (exclusive) of a file, continuing from `initial`, streamed. */
export async function crc32cOfFile(path: string, start = 0, end?: number, initial = 0): Promise<number> {
  if (end !== undefined && end <= start) return initial >>> 0;
  let crc = initial >>> 0;
  const stream = createReadStream(path, {
    start,
    ...(end !== undefined ? { end: end - 1 } : {}),
    highWaterMark: 1 << 20,
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) crc = crc32c(chunk, crc) >>> 0;
  return crc;
}
