/**
 * Field differences between two views of a resource's props, for the
 * drivers' `diff`: nested objects compared key by key (a label added is
 * `labels.team`), arrays and scalars as whole values; each change says
 * whether its top-level field can change in place.
 */

import { isDeepStrictEqual } from 'node:util';
import type { FieldChange } from '../types.ts';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every differing leaf path; a change under a top-level field not in `inPlace` forces a replace. */
export function diffProps(
  before: unknown,
  after: unknown,
  inPlace: ReadonlySet<string>,
  prefix = '',
): FieldChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      diffProps(before[key], after[key], inPlace, prefix === '' ? key : `${prefix}.${key}`),
    );
  }
  if (isDeepStrictEqual(before, after)) return [];
  const field = prefix.split('.')[0] ?? prefix;
  return [{ path: prefix, from: before, to: after, forcesReplace: !inPlace.has(field) }];
}
