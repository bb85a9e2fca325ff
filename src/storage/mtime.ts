/**
 * Source modification times as the sync engine records them in object
 * metadata: key `mtime`, RFC 3339 with nanoseconds — the key and format
 * rclone uses for Cloud Storage, so either tool recognises the other's
 * uploads as unchanged.
 */

/** Object metadata key holding the source file's modification time. */
export const MTIME_METADATA_KEY = 'mtime';

/** Two times this close are the same: every store here keeps at least milliseconds. */
export const MTIME_WINDOW_MS = 1;

export function formatMtime(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const iso = new Date(Number(ms)).toISOString(); // 2024-01-02T03:04:05.123Z
  const fraction = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, '0');
  return `${iso.slice(0, 19)}.${fraction}Z`;
}

/** Nanoseconds since the epoch, or undefined when the text is not an RFC 3339 time. */
export function parseMtime(text: string | undefined): bigint | undefined {
  if (!text) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!match) return undefined;
  const seconds = Date.parse(`${match[1]}${match[3]}`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = BigInt((match[2] ?? '').padEnd(9, '0').slice(0, 9));
  return BigInt(seconds) * 1_000_000n + fraction;
}

/**
 * Milliseconds since the epoch (fraction kept to about a microsecond), or
 * undefined when the text is not an RFC 3339 time. The sync compares every
 * listed object's time with this: the form every tool writes
 * (`2024-01-02T03:04:05.123456789Z`) is read by character codes, with no
 * regex match or bigint per object; other forms go through `parseMtime`.
 */
export function mtimeMsOf(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const fast = canonicalMtimeMs(text);
  if (fast !== undefined) return fast;
  const ns = parseMtime(text);
  return ns === undefined ? undefined : Number(ns / 1000n) / 1000;
}

/** Local and recorded times (in ms) this close are the same. */
export function sameMtimeMs(a: number, b: number): boolean {
  return Math.abs(a - b) < MTIME_WINDOW_MS;
}

/**
 * A stat's float milliseconds as the decimal nanoseconds that the CRC cache
 * and upload journals are keyed by (their files predate `mtimeMs`).
 */
export function mtimeKey(mtimeMs: number): string {
  return String(BigInt(Math.round(mtimeMs * 1e6)));
}

const ZERO = 48;

function digits(text: string, from: number, count: number): number {
  let value = 0;
  for (let i = from; i < from + count; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
}

/** `YYYY-MM-DDTHH:MM:SS[.fraction]Z` only; undefined for anything else. */
function canonicalMtimeMs(text: string): number | undefined {
  const end = text.length - 1;
  if (end < 19 || text.charCodeAt(end) !== 90 /* Z */) return undefined;
  if (text[4] !== '-' || text[7] !== '-' || text[10] !== 'T' || text[13] !== ':' || text[16] !== ':')
    return undefined;
  const month = digits(text, 5, 2);
  const day = digits(text, 8, 2);
  const hour = digits(text, 11, 2);
  const minute = digits(text, 14, 2);
  const second = digits(text, 17, 2);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  let fractionMs = 0;
  if (end > 19) {
    if (text[19] !== '.' || end === 20) return undefined;
    // Up to nanoseconds; further digits cannot change a millisecond comparison.
    const count = Math.min(end - 20, 9);
    const fraction = digits(text, 20, count);
    if (Number.isNaN(fraction) || Number.isNaN(digits(text, 20, end - 20))) return undefined;
    fractionMs = fraction / 10 ** (count - 3);
  }
  const ms = Date.UTC(digits(text, 0, 4), month - 1, day, hour, minute, second);
  return Number.isNaN(ms) ? undefined : ms + fractionMs;
}
