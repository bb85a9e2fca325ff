/**
 * The `filter` of ListCustomJobs: the subset of AIP-160 Vertex documents for
 * it — `display_name` (=, !=, `:` wildcard), `state` (=, !=), `create_time` /
 * `update_time` / `start_time` / `end_time` (comparisons on RFC 3339 values),
 * `labels.KEY=VALUE`, `labels.KEY:*` and `labels:KEY`; joined with AND, OR,
 * NOT (or `-`) and parentheses; juxtaposition means AND.
 * (https://cloud.google.com/vertex-ai/docs/reference/rest/v1/projects.locations.customJobs/list,
 * https://google.aip.dev/160)
 */

import { type FilterOp, FilterSyntaxError, type Predicate, parseFilter } from '../filter-syntax.ts';

export type JobPredicate = Predicate<FilterableJob>;

/** The fields of a stored CustomJob a filter reads. */
export interface FilterableJob {
  displayName?: string;
  state?: string;
  labels?: Record<string, string>;
  createTime?: string;
  updateTime?: string;
  startTime?: string;
  endTime?: string;
}

/** A filter the fake refuses (answered as INVALID_ARGUMENT). */
export { FilterSyntaxError as FilterError };

const TIME_FIELDS: Record<string, keyof FilterableJob> = {
  create_time: 'createTime',
  update_time: 'updateTime',
  start_time: 'startTime',
  end_time: 'endTime',
};

/** Compares times; the operator and the right side were checked when the filter was parsed. */
function compareOrdered(left: string | undefined, op: Exclude<FilterOp, ':'>, right: string): boolean {
  if (left === undefined) return false;
  const a = Date.parse(left);
  const b = Date.parse(right);
  switch (op) {
    case '=':
      return a === b;
    case '!=':
      return a !== b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '>':
      return a > b;
    case '>=':
      return a >= b;
  }
}

/** `:` on a string: `*` means "is set"; otherwise a `*` wildcard pattern or a substring. */
function hasMatch(value: string | undefined, pattern: string): boolean {
  if (value === undefined || value === '') return false;
  if (pattern === '*') return true;
  if (!pattern.includes('*')) return value.includes(pattern);
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegex).join('.*')}$`);
  return regex.test(value);
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

function comparison(field: string, op: FilterOp, value: string): JobPredicate {
  if (field === 'display_name') {
    if (op === '=') return (job) => job.displayName === value;
    if (op === '!=') return (job) => job.displayName !== value;
    if (op === ':') return (job) => hasMatch(job.displayName, value);
  } else if (field === 'state') {
    if (op === '=') return (job) => job.state === value;
    if (op === '!=') return (job) => job.state !== value;
  } else if (TIME_FIELDS[field]) {
    const key = TIME_FIELDS[field]!;
    if (op === ':') throw new FilterSyntaxError(`operator ":" does not apply to ${field}`);
    if (Number.isNaN(Date.parse(value))) throw new FilterSyntaxError(`"${value}" is not an RFC 3339 time`);
    return (job) => compareOrdered(job[key] as string | undefined, op, value);
  } else if (field === 'labels') {
    if (op === ':') return (job) => job.labels?.[value] !== undefined;
  } else if (field.startsWith('labels.')) {
    const key = field.slice('labels.'.length);
    if (op === '=') return (job) => job.labels?.[key] === value;
    if (op === '!=') return (job) => job.labels?.[key] !== value;
    if (op === ':') return (job) => hasMatch(job.labels?.[key], value);
  } else {
    throw new FilterSyntaxError(
      `unsupported field "${field}"; filter on display_name, state, create_time, update_time, start_time, end_time or labels`,
    );
  }
  throw new FilterSyntaxError(`operator "${op}" is not supported on field "${field}"`);
}

/** Parses a filter; an empty one matches every job. Throws FilterError (→ INVALID_ARGUMENT). */
export function parseJobFilter(filter: string | undefined): JobPredicate {
  return parseFilter(filter, {
    restriction: (path, op, value) => comparison(path.join('.'), op, value),
    minusNegates: true,
    singleQuotes: true,
  });
}
