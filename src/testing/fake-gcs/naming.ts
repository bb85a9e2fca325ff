/**
 * The names Cloud Storage refuses, refused here too (400), so what works
 * against the fake works against the service:
 * buckets (https://cloud.google.com/storage/docs/buckets#naming) — 3 to 63
 * characters, or up to 222 with dots where each dot-separated part is 1 to
 * 63; lowercase letters, digits, `-`, `_`, `.`; a letter or digit at each
 * end; not an IP address; no `goog` prefix; no `google` inside (nor its
 * close misspellings);
 * objects (https://cloud.google.com/storage/docs/objects#naming) — 1 to
 * 1024 bytes of UTF-8; no carriage return or line feed; not `.` or `..`;
 * not under `.well-known/acme-challenge/`.
 */

import { badRequest } from './errors.ts';

const BUCKET_CHARACTERS = /^[a-z0-9][a-z0-9._-]*[a-z0-9]$/;
const IP_FORM = /^\d{1,3}(\.\d{1,3}){3}$/;
/** "google" and the close misspellings the naming rules name. */
const GOOGLE_LIKE = /g[o0][o0]g[l1]e/;
const MAX_OBJECT_NAME_BYTES = 1024;

/** Throws the service's 400 for a bucket name it would refuse. */
export function checkBucketName(name: string | undefined): asserts name is string {
  const refuse = (why: string) => badRequest(`Invalid bucket name: '${name ?? ''}' (${why}).`);
  if (!name) throw badRequest('Required parameter: name');
  if (!BUCKET_CHARACTERS.test(name)) {
    throw refuse('use lowercase letters, digits, "-", "_" and "."; begin and end with a letter or digit');
  }
  const parts = name.split('.');
  if (parts.length === 1 && (name.length < 3 || name.length > 63)) {
    throw refuse('a name without dots has 3 to 63 characters');
  }
  if (parts.length > 1 && (name.length > 222 || parts.some((p) => p.length === 0 || p.length > 63))) {
    throw refuse('a dotted name has at most 222 characters, each dot-separated part 1 to 63');
  }
  if (IP_FORM.test(name)) throw refuse('a bucket name cannot be an IP address');
  if (name.startsWith('goog')) throw refuse('a bucket name cannot begin with "goog"');
  if (GOOGLE_LIKE.test(name)) throw refuse('a bucket name cannot contain "google" or a close misspelling');
}

/** Throws the service's 400 for an object name it would refuse. */
export function checkObjectName(name: string): void {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes === 0 || bytes > MAX_OBJECT_NAME_BYTES) {
    throw badRequest(
      `The object name is ${bytes} bytes; it must be 1 to ${MAX_OBJECT_NAME_BYTES} bytes of UTF-8.`,
    );
  }
  if (/[\r\n]/.test(name)) {
    throw badRequest('Object names cannot contain carriage return or line feed characters.');
  }
  if (name === '.' || name === '..') throw badRequest(`Object name '${name}' is not allowed.`);
  if (name.startsWith('.well-known/acme-challenge/')) {
    throw badRequest('Object names cannot begin with ".well-known/acme-challenge/".');
  }
}

/** `project` is required on buckets.list and buckets.insert (the project the buckets belong to). */
export function requireProject(query: URLSearchParams): string {
  const project = query.get('project');
  if (!project) throw badRequest('Required parameter: project');
  return project;
}

/** A precondition parameter must be an int64, as the service parses it. */
export function checkPreconditionValues(query: URLSearchParams): void {
  for (const name of [
    'ifGenerationMatch',
    'ifGenerationNotMatch',
    'ifMetagenerationMatch',
    'ifMetagenerationNotMatch',
  ]) {
    const value = query.get(name);
    if (value !== null && !/^-?\d+$/.test(value)) {
      throw badRequest(`Invalid argument for ${name}: '${value}' is not an integer.`);
    }
  }
}
