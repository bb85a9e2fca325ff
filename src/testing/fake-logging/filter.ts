/**
 * The Logging query language, the part clients of a training job's logs use:
 * comparisons `=`, `!=`, `<`, `<=`, `>`, `>=` and `:` (has: substring) on
 * field paths (`resource.labels.job_id`, `labels."ml.googleapis.com/x"`,
 * `jsonPayload.message`), joined with AND, OR, NOT, parentheses, and
 * juxtaposition as AND. Timestamps compare as times (any RFC 3339 offset,
 * up to nanoseconds), `severity` by its rank (DEBUG < INFO < … < EMERGENCY),
 * everything else as strings. A bare word with no field (a global search)
 * is refused rather than guessed at.
 * (https://cloud.google.com/logging/docs/view/logging-query-language)
 */

import { type FilterOp, FilterSyntaxError, type Predicate, parseFilter } from '../filter-syntax.ts';
import { type LogEntryRecord, SEVERITIES, timeNanos } from './entries.ts';

/** A filter the fake refuses (answered as INVALID_ARGUMENT). */
export { FilterSyntaxError as LogFilterError };

export type EntryPredicate = Predicate<LogEntryRecord>;

const TIME_FIELDS = new Set(['timestamp', 'receiveTimestamp']);

/** The value at a path of an entry, as a string (undefined when absent). */
function valueAt(entry: LogEntryRecord, path: readonly string[]): string | undefined {
  let current: unknown = entry;
  for (const segment of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[segment];
  }
  if (current === undefined || current === null) return undefined;
  return typeof current === 'object' ? JSON.stringify(current) : String(current);
}

function compare(path: readonly string[], actual: string, expected: string): number {
  const field = path.join('.');
  if (TIME_FIELDS.has(field)) {
    const a = timeNanos(actual);
    const b = timeNanos(expected);
    if (b === undefined) throw new FilterSyntaxError(`"${expected}" is not a timestamp (RFC 3339)`);
    if (a === undefined) return Number.NaN;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  if (field === 'severity') {
    const a = SEVERITIES.indexOf(actual.toUpperCase() as (typeof SEVERITIES)[number]);
    const b = SEVERITIES.indexOf(expected.toUpperCase() as (typeof SEVERITIES)[number]);
    if (b < 0) throw new FilterSyntaxError(`"${expected}" is not a severity (${SEVERITIES.join(', ')})`);
    return a - b;
  }
  return actual < expected ? -1 : actual > expected ? 1 : 0;
}

function comparison(path: readonly string[], op: FilterOp, expected: string): EntryPredicate {
  // Validates the literal once, at parse time, so a bad timestamp is an error even with no entries.
  compare(path, path.join('.') === 'severity' ? 'DEFAULT' : expected, expected);
  return (entry) => {
    const actual = valueAt(entry, path);
    if (op === '!=') return actual === undefined || compare(path, actual, expected) !== 0;
    if (actual === undefined) return false;
    if (op === ':') return actual.toLowerCase().includes(expected.toLowerCase());
    const order = compare(path, actual, expected);
    if (Number.isNaN(order)) return false;
    switch (op) {
      case '=':
        return order === 0;
      case '<':
        return order < 0;
      case '<=':
        return order <= 0;
      case '>':
        return order > 0;
      default:
        return order >= 0;
    }
  };
}

/** The predicate of a filter; an empty filter matches every entry. Throws LogFilterError. */
export function parseLogFilter(filter: string | undefined): EntryPredicate {
  return parseFilter(filter, { restriction: comparison });
}
