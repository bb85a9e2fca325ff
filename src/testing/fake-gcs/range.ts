/** HTTP `Range` requests (RFC 9110 §14) and resumable `Content-Range` headers. */

import { badRequest } from './errors.ts';

/** Byte span `start` to `end` (exclusive); `unsatisfiable` when it lies past the end. */
export type RangeRequest = { start: number; end: number } | 'unsatisfiable' | undefined;

/** Parses `bytes=S-E`, `bytes=S-` and `bytes=-N` against an object of `size` bytes; other forms read as the whole object. */
export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (!header) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size : Math.min(Number(match[2]) + 1, size);
  if (start >= size || end <= start) return 'unsatisfiable';
  return { start, end };
}

// A resumable upload's Content-Range
// (https://cloud.google.com/storage/docs/performing-resumable-uploads):
//   "bytes */T" or "bytes */*"  ask for the session's status;
//   "bytes S-E/T" or "S-E/*"    send a chunk (T unknown until the last one);
//   "bytes S-*/T"               streams the rest in one request (what @google-cloud/storage
//                               sends without a chunk size).
export type ContentRange =
  | { kind: 'status'; total: number | undefined }
  | { kind: 'chunk'; start: number; last: number | undefined; total: number | undefined };

export function parseContentRange(header: string | undefined): ContentRange | undefined {
  if (header === undefined) return undefined;
  const match = /^bytes (?:(\*)|(\d+)-(\d+|\*))\/(\*|\d+)$/.exec(header.trim());
  if (!match) throw badRequest(`malformed Content-Range "${header}"`);
  const total = match[4] === '*' ? undefined : Number(match[4]);
  if (match[1] === '*') return { kind: 'status', total };
  const start = Number(match[2]);
  const last = match[3] === '*' ? undefined : Number(match[3]);
  if (last !== undefined && last < start) throw badRequest(`Content-Range "${header}" ends before it starts`);
  return { kind: 'chunk', start, last, total };
}
