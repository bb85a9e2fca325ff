/**
 * Log entries as the fake keeps them: the REST (JSON) shape of a LogEntry,
 * which both faces translate to and from — timestamps as RFC 3339 strings
 * with nanoseconds, severity by name, `jsonPayload` a plain object.
 * (https://cloud.google.com/logging/docs/reference/v2/rest/v2/LogEntry)
 */

export interface MonitoredResource {
  type: string;
  labels: Record<string, string>;
}

export interface LogEntryRecord {
  /** `projects/PROJECT/logs/LOG_ID` (LOG_ID URL-encoded). */
  logName: string;
  resource: MonitoredResource;
  labels: Record<string, string>;
  severity: string;
  /** When the line was written (the writer's clock). */
  timestamp: string;
  /** When the fake received it. */
  receiveTimestamp: string;
  /** Unique per entry; orders entries of equal timestamp. */
  insertId: string;
  textPayload?: string;
  jsonPayload?: Record<string, unknown>;
}

/** What a writer sends: the fake fills in what is left out (times, insert id, DEFAULT severity). */
export type LogEntryInput = Partial<LogEntryRecord> & Pick<LogEntryRecord, 'logName' | 'resource'>;

/** google/logging/type/log_severity.proto, lowest first; comparisons in filters follow this order. */
export const SEVERITIES = [
  'DEFAULT',
  'DEBUG',
  'INFO',
  'NOTICE',
  'WARNING',
  'ERROR',
  'CRITICAL',
  'ALERT',
  'EMERGENCY',
] as const;

/** `projects/P/logs/ID`, the only parent the fake stores under. */
export const LOG_NAME = /^projects\/([^/]+)\/logs\/([^/]+)$/;

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/i;

/** Nanoseconds since the epoch of an RFC 3339 time, or undefined when it is not one. */
export function timeNanos(text: string): bigint | undefined {
  const match = RFC3339.exec(text.trim());
  if (!match) return undefined;
  const ms = Date.parse(`${match[1]}${match[3]!.toUpperCase()}`);
  if (Number.isNaN(ms)) return undefined;
  return BigInt(ms) * 1_000_000n + BigInt((match[2] ?? '').padEnd(9, '0'));
}

/** RFC 3339 in UTC with nine fractional digits, as Cloud Logging returns times. */
export function formatNanos(nanos: bigint): string {
  const ms = Number(nanos / 1_000_000n);
  const fraction = String(nanos % 1_000_000_000n).padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${fraction}Z`;
}

export function nowTimestamp(now: Date): string {
  return formatNanos(BigInt(now.getTime()) * 1_000_000n);
}
