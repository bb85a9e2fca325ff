/**
 * The fake Cloud Logging's behaviour, independent of transport: entries:write
 * and entries:list as the service does them — a write names its log
 * (`projects/P/logs/ID`) and monitored resource, on the request or on each
 * entry; a list names the projects it reads (`resourceNames`), filters,
 * orders by timestamp (then insert id) and pages (50 by default, at most
 * 1000). Errors carry the gRPC status the service answers with.
 * (https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/write,
 * https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/list)
 */

import { status } from '@grpc/grpc-js';
import {
  formatNanos,
  LOG_NAME,
  type LogEntryInput,
  type LogEntryRecord,
  nowTimestamp,
  timeNanos,
} from './entries.ts';
import { LogFilterError, parseLogFilter } from './filter.ts';

export class LoggingRpcError extends Error {
  readonly code: status;

  constructor(code: status, message: string) {
    super(message);
    this.code = code;
  }
}

/** entries.list `pageSize`: the default, and the most the service returns. */
const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 1000;

export interface WriteRequest {
  logName?: string;
  resource?: LogEntryRecord['resource'];
  labels?: Record<string, string>;
  entries?: Partial<LogEntryRecord>[];
}

export interface ListRequest {
  resourceNames?: string[];
  filter?: string;
  orderBy?: string;
  pageSize?: number;
  pageToken?: string;
}

export class FakeLoggingService {
  private readonly entries: LogEntryRecord[] = [];
  private nextId = 1;
  private readonly now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.now = now;
  }

  /** Every entry received so far, oldest first (tests and inspection). */
  all(): readonly LogEntryRecord[] {
    return this.entries;
  }

  /** entries:write. Whole or nothing: one bad entry refuses the request. */
  write(request: WriteRequest): void {
    const input = request.entries ?? [];
    if (input.length === 0) throw new LoggingRpcError(status.INVALID_ARGUMENT, 'No log entries specified.');
    const received = nowTimestamp(this.now());
    const accepted = input.map((entry, i) => {
      const logName = entry.logName || request.logName;
      const resource = entry.resource?.type ? entry.resource : request.resource;
      if (!logName || !LOG_NAME.test(logName)) {
        throw new LoggingRpcError(
          status.INVALID_ARGUMENT,
          `entries[${i}]: log name "${logName ?? ''}" is not of the form projects/[PROJECT_ID]/logs/[LOG_ID].`,
        );
      }
      if (!resource?.type) {
        throw new LoggingRpcError(
          status.INVALID_ARGUMENT,
          `entries[${i}]: a monitored resource is required.`,
        );
      }
      if (entry.timestamp !== undefined && timeNanos(entry.timestamp) === undefined) {
        throw new LoggingRpcError(
          status.INVALID_ARGUMENT,
          `entries[${i}].timestamp "${entry.timestamp}" is not an RFC 3339 time.`,
        );
      }
      return { ...entry, logName, resource } as LogEntryInput;
    });
    for (const entry of accepted) this.append(entry, request.labels ?? {}, received);
  }

  /** Stores entries written in-process (the fake Vertex's replicas), as entries:write would. */
  writeEntries(entries: readonly LogEntryInput[]): void {
    const received = nowTimestamp(this.now());
    for (const entry of entries) this.append(entry, {}, received);
  }

  /** entries:list. */
  list(request: ListRequest): { entries: LogEntryRecord[]; nextPageToken: string } {
    const projects = request.resourceNames ?? [];
    if (projects.length === 0) {
      throw new LoggingRpcError(status.INVALID_ARGUMENT, 'resourceNames must name at least one resource.');
    }
    const prefixes = projects.map((name) => {
      if (!/^projects\/[^/]+$/.test(name)) {
        throw new LoggingRpcError(
          status.INVALID_ARGUMENT,
          `Resource name "${name}" is not supported by the fake (projects/[PROJECT_ID] only).`,
        );
      }
      return `${name}/logs/`;
    });
    let matches: (entry: LogEntryRecord) => boolean;
    try {
      matches = parseLogFilter(request.filter);
    } catch (error) {
      if (!(error instanceof LogFilterError)) throw error;
      throw new LoggingRpcError(
        status.INVALID_ARGUMENT,
        `Invalid filter "${request.filter}": ${error.message}`,
      );
    }
    const descending = orderOf(request.orderBy);
    const size = request.pageSize ?? 0;
    if (size < 0 || size > MAX_PAGE_SIZE) {
      throw new LoggingRpcError(status.INVALID_ARGUMENT, `pageSize must be between 0 and ${MAX_PAGE_SIZE}.`);
    }
    const offset = request.pageToken ? Number(request.pageToken) : 0;
    if (!Number.isInteger(offset) || offset < 0) {
      throw new LoggingRpcError(status.INVALID_ARGUMENT, `Invalid page token "${request.pageToken}".`);
    }
    const found = this.entries
      .filter((e) => prefixes.some((p) => e.logName.startsWith(p)) && matches(e))
      .sort(byTime);
    if (descending) found.reverse();
    const page = found.slice(offset, offset + (size || DEFAULT_PAGE_SIZE));
    const end = offset + page.length;
    return { entries: structuredClone(page), nextPageToken: end < found.length ? String(end) : '' };
  }

  private append(entry: LogEntryInput, defaultLabels: Record<string, string>, received: string): void {
    // Zero-padded, so insert ids sort in the order the entries arrived (clients order ties by them).
    const insertId = entry.insertId || `fake${String(this.nextId++).padStart(12, '0')}`;
    this.entries.push({
      ...entry,
      resource: { type: entry.resource.type, labels: { ...entry.resource.labels } },
      labels: { ...defaultLabels, ...entry.labels },
      severity: entry.severity || 'DEFAULT',
      // Stored in UTC with nanoseconds, as the service returns times whatever offset they came with.
      timestamp: entry.timestamp ? formatNanos(timeNanos(entry.timestamp)!) : received,
      receiveTimestamp: received,
      insertId,
    });
  }
}

function orderOf(orderBy: string | undefined): boolean {
  const text = (orderBy ?? '').trim().toLowerCase();
  if (text === '' || text === 'timestamp asc' || text === 'timestamp') return false;
  if (text === 'timestamp desc') return true;
  throw new LoggingRpcError(
    status.INVALID_ARGUMENT,
    `orderBy "${orderBy}" is not supported: use "timestamp asc" or "timestamp desc".`,
  );
}

function byTime(a: LogEntryRecord, b: LogEntryRecord): number {
  const ta = timeNanos(a.timestamp)!;
  const tb = timeNanos(b.timestamp)!;
  if (ta !== tb) return ta < tb ? -1 : 1;
  return a.insertId < b.insertId ? -1 : a.insertId > b.insertId ? 1 : 0;
}
