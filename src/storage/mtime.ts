/**
 * Source modification times as the sync engine records them in object
 * metadata: key `mtime`, RFC 3339 with nanoseconds — the key and format
 * rclone uses for Cloud Storage, so either tool recognises the other's
 * uploads as unchanged.
 */

/** Object metadata key holding the source file's modification time. */
export const MTIME_METADATA_KEY = 'mtime';

/** Two times this close are the same: every store here keeps at least milliseconds. */
export const MTIME_WINDOW_NS = 1_000_000n;

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

export function sameMtime(a: bigint, b: bigint): boolean {
  const diff = a > b ? a - b : b - a;
  return diff < MTIME_WINDOW_NS;
}
