/**
 * Object-store URIs: `gs://bucket/key`, `s3://bucket/key`, `file:///abs/path`.
 * `file://` also takes a path relative to a base folder (`file://./runs`),
 * resolved once at the edge so everything inside sees absolute paths.
 */

import { isAbsolute, resolve } from 'node:path';
import { StratoError } from '../errors.ts';

export type ObjectUri =
  | { scheme: 'gs' | 's3'; bucket: string; key: string }
  | { scheme: 'file'; path: string };

/** https://cloud.google.com/storage/docs/buckets#naming (dots allowed; no "goog" prefix). */
const BUCKET_PATTERN = /^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_PATTERN.test(name) && !name.startsWith('goog') && !name.includes('..');
}

export function parseObjectUri(uri: string, baseDir = process.cwd()): ObjectUri {
  const match = /^(gs|s3|file):\/\/(.*)$/.exec(uri);
  if (!match) {
    throw new StratoError('E_USAGE', `"${uri}" is not an object-store URI`, {
      hint: 'use gs://bucket/path, s3://bucket/path or file:///absolute/path',
    });
  }
  const scheme = match[1] as 'gs' | 's3' | 'file';
  const rest = match[2]!;
  if (scheme === 'file') {
    const path = decodeURIComponent(rest);
    return { scheme, path: isAbsolute(path) ? resolve(path) : resolve(baseDir, path) };
  }
  const slash = rest.indexOf('/');
  const bucket = slash === -1 ? rest : rest.slice(0, slash);
  const key = slash === -1 ? '' : rest.slice(slash + 1);
  if (bucket === '') {
    throw new StratoError('E_USAGE', `"${uri}" names no bucket`, { hint: `write ${scheme}://BUCKET/path` });
  }
  if (!isValidBucketName(bucket)) {
    throw new StratoError('E_USAGE', `"${bucket}" is not a valid bucket name`, {
      hint: '3-63 characters: lower-case letters, digits, "-", "_" and "."; starting and ending with a letter or digit',
    });
  }
  return { scheme, bucket, key };
}

export function formatObjectUri(uri: ObjectUri): string {
  return uri.scheme === 'file' ? `file://${uri.path}` : `${uri.scheme}://${uri.bucket}/${uri.key}`;
}

/** Resolves a relative `file://` URI against `baseDir`; other URIs are returned as they are. */
export function absoluteUri(uri: string, baseDir = process.cwd()): string {
  if (!uri.startsWith('file://')) return uri;
  const trailing = uri.endsWith('/') ? '/' : '';
  const { path } = parseObjectUri(uri, baseDir) as { path: string };
  return `file://${path}${trailing && !path.endsWith('/') ? '/' : ''}`;
}

/**
 * True when `text` starts with a URI scheme and `://` (RFC 3986 §3.1:
 * a letter, then letters, digits, `+`, `-`, `.`), e.g. gs://, s3://, file://,
 * https://; false for a path, relative or absolute.
 */
export function isUri(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/** Joins URI segments with single slashes. */
export function joinUri(base: string, ...parts: string[]): string {
  let out = base.replace(/\/+$/, '');
  for (const part of parts) {
    const clean = part.replace(/^\/+/, '');
    if (clean !== '') out = `${out}/${clean}`;
  }
  return out;
}
