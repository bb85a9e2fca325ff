/**
 * Field-by-field differences between two views of a resource's props, for
 * drivers' `diff`: nested objects are compared key by key (a label added is
 * `labels.team`), arrays and scalars as whole values.
 */

import { isDeepStrictEqual } from 'node:util';
import type { FieldChange } from './types.ts';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Every differing leaf path; `forcesReplace(path)` says whether changing it needs a new resource. */
export function diffFields(
  before: unknown,
  after: unknown,
  forcesReplace: (path: string) => boolean = () => false,
  prefix = '',
): FieldChange[] {
  if (isPlainObject(before) && isPlainObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    return keys.flatMap((key) =>
      diffFields(before[key], after[key], forcesReplace, prefix === '' ? key : `${prefix}.${key}`),
    );
  }
  if (isDeepStrictEqual(before, after)) return [];
  return [{ path: prefix, from: before, to: after, forcesReplace: forcesReplace(prefix) }];
}

/** `diffFields` for drivers whose in-place fields are listed: a change under any other top-level field forces a replace. */
export function diffProps(before: unknown, after: unknown, inPlace: ReadonlySet<string>): FieldChange[] {
  return diffFields(before, after, (path) => !inPlace.has(path.split('.')[0] ?? path));
}
