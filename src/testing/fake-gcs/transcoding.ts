/**
 * Decompressive transcoding: an object stored with `Content-Encoding: gzip`
 * is served decompressed to a client that does not accept gzip, as Cloud
 * Storage does — no Content-Length (the decompressed size is unknown
 * up front), Range ignored (the whole object, 200), and the stored encoding
 * still named in `x-goog-stored-content-encoding`. A client that sends
 * `Accept-Encoding: gzip`, or an object with `Cache-Control: no-transform`,
 * gets the stored bytes.
 * (https://cloud.google.com/storage/docs/transcoding)
 */

import type { IncomingMessage } from 'node:http';
import { pipeline, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { StoredObject } from './state.ts';

export function servesDecompressed(req: IncomingMessage, object: StoredObject): boolean {
  if (object.contentEncoding?.toLowerCase() !== 'gzip') return false;
  if (/(^|,)\s*no-transform\s*(,|$)/i.test(object.cacheControl ?? '')) return false;
  const accepted = String(req.headers['accept-encoding'] ?? '');
  return !accepted.split(',').some((e) => /^\s*(gzip|\*)\s*(;\s*q=(?!0(\.0*)?\s*$)[\d.]+)?\s*$/i.test(e));
}

/** The stored gzip bytes, decompressed as they stream. */
export function gunzipped(stored: Readable): Readable {
  const gunzip = createGunzip();
  pipeline(stored, gunzip, () => {});
  return gunzip;
}
