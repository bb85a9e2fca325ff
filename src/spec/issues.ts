/**
 * Turns zod's issues into SpecIssues a user can act on: the field path, the
 * value received, what is allowed, and the fix (with "did you mean" for
 * unknown fields and mistyped enum values).
 */

import type { z } from 'zod';
import { type SpecIssue, shortenText } from '../errors.ts';
import { closest } from './suggest.ts';

type Path = readonly PropertyKey[];

/** `resources.workers.replicas`, `data[0].env`. */
export function formatPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    // A key is the user's text (an unknown field may be any length): shown shortened.
    else out += out === '' ? shortenText(String(key), 60) : `.${shortenText(String(key), 60)}`;
  }
  return out;
}

export function valueAt(root: unknown, path: Path): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<PropertyKey, unknown>)[key as string];
  }
  return node;
}

// zod 4 keeps a schema's structure on `_zod.def`; only the few kinds a job spec uses are walked.
interface Def {
  type: string;
  shape?: Record<string, z.ZodType>;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  valueType?: z.ZodType;
  options?: z.ZodType[];
  values?: unknown[];
}
const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;

function unwrap(schema: z.ZodType): z.ZodType {
  let current = schema;
  for (;;) {
    const def = defOf(current);
    const inner = def.innerType ?? (def.type === 'pipe' ? def.in : undefined);
    if (!inner) return current;
    current = inner;
  }
}

/** Picks the union member whose literal fields match the data (the discriminated-union case). */
function pickOption(options: z.ZodType[], data: unknown): z.ZodType | undefined {
  return options.find((option) => {
    const shape = defOf(unwrap(option)).shape;
    if (!shape || data === null || typeof data !== 'object') return false;
    return Object.entries(shape).some(([key, field]) => {
      const def = defOf(unwrap(field));
      return def.type === 'literal' && def.values?.includes((data as Record<string, unknown>)[key]);
    });
  });
}

/** The object schema at `path` in the document, following the data through unions. */
function schemaAt(root: z.ZodType, doc: unknown, path: Path): z.ZodType | undefined {
  let schema: z.ZodType | undefined = unwrap(root);
  for (let i = 0; i <= path.length && schema; i++) {
    let def = defOf(schema);
    if (def.type === 'union' && def.options) {
      schema = pickOption(def.options, valueAt(doc, path.slice(0, i)));
      if (!schema) return undefined;
      schema = unwrap(schema);
      def = defOf(schema);
    }
    if (i === path.length) return schema;
    const key = path[i]!;
    if (def.type === 'object') schema = def.shape?.[String(key)];
    else if (def.type === 'array') schema = def.element;
    else if (def.type === 'record') schema = def.valueType;
    else return undefined;
    schema = schema && unwrap(schema);
  }
  return schema;
}

/** Field names an object at `path` accepts. */
export function knownKeysAt(root: z.ZodType, doc: unknown, path: Path): string[] {
  const schema = schemaAt(root, doc, path);
  const shape = schema && defOf(schema).shape;
  return shape ? Object.keys(shape).filter((k) => !k.startsWith('$')) : [];
}

function describeExpected(expected: string): string {
  if (expected === 'object') return 'a mapping of fields';
  if (expected === 'array') return 'a list';
  if (expected === 'int') return 'an integer';
  return `a ${expected}`;
}

function boundText(issue: { minimum?: unknown; maximum?: unknown; inclusive?: boolean; origin?: string }) {
  const limit = issue.minimum ?? issue.maximum;
  const low = issue.minimum !== undefined;
  const unit =
    issue.origin === 'array'
      ? ' items'
      : issue.origin === 'string'
        ? ' characters'
        : issue.origin === 'set' || issue.origin === 'record'
          ? ' entries'
          : '';
  if (issue.origin === 'array' || issue.origin === 'string') {
    return `must have ${low ? 'at least' : 'at most'} ${String(limit)}${unit}`;
  }
  const op = low ? (issue.inclusive === false ? '>' : '≥') : issue.inclusive === false ? '<' : '≤';
  return `must be ${op} ${String(limit)}${unit}`;
}

/** One zod issue → one or more SpecIssues (an unknown-keys issue names each key). */
function convertIssue(issue: z.core.$ZodIssue, schema: z.ZodType, doc: unknown): SpecIssue[] {
  const path = issue.path;
  const at = formatPath(path);
  const received = valueAt(doc, path);
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, doc, path);
      return issue.keys.map((key) => {
        const near = closest(key, known, 1);
        return {
          path: formatPath([...path, key]),
          message: 'is not a known field',
          allowed: known,
          fix: near.length > 0 ? `did you mean "${near[0]}"?` : 'remove it',
        };
      });
    }
    case 'invalid_type': {
      if (received === undefined) {
        return [{ path: at, message: `is required (${describeExpected(issue.expected)})`, fix: `add ${at}` }];
      }
      return [{ path: at, message: `must be ${describeExpected(issue.expected)}`, received }];
    }
    case 'invalid_value': {
      const allowed = issue.values.map((v) => String(v));
      if (received === undefined) {
        const example = allowed.length === 1 ? `: ${allowed[0]}` : ` (one of ${allowed.join(', ')})`;
        return [{ path: at, message: 'is required', allowed, fix: `add ${at}${example}` }];
      }
      const near = typeof received === 'string' ? closest(received, allowed, 1) : [];
      return [
        {
          path: at,
          message:
            allowed.length === 1
              ? `must be ${JSON.stringify(issue.values[0])}`
              : 'is not one of the allowed values',
          received,
          allowed,
          ...(near.length > 0
            ? { fix: `did you mean "${near[0]}"?` }
            : allowed.length === 1
              ? { fix: `set ${at}: ${String(allowed[0])}` }
              : {}),
        },
      ];
    }
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (options) {
        const allowed = options.map(String);
        const near = typeof received === 'string' ? closest(received, allowed, 1) : [];
        return [
          {
            path: at,
            message: received === undefined ? 'is required' : 'is not one of the allowed values',
            received,
            allowed,
            ...(near.length > 0 ? { fix: `did you mean "${near[0]}"?` } : {}),
          },
        ];
      }
      return [{ path: at, message: issue.message, received }];
    }
    case 'invalid_key': {
      const inner = issue.issues[0];
      return [{ path: at, message: `key ${inner?.message ?? 'is invalid'}`, received: path.at(-1) }];
    }
    case 'too_small':
    case 'too_big':
      return [{ path: at, message: boundText(issue as Parameters<typeof boundText>[0]), received }];
    case 'invalid_format':
      return [{ path: at, message: issue.message.replace(/^Invalid string: /, ''), received }];
    default:
      return [{ path: at, message: issue.message, received }];
  }
}

export function toSpecIssues(
  issues: readonly z.core.$ZodIssue[],
  schema: z.ZodType,
  doc: unknown,
): SpecIssue[] {
  return issues.flatMap((issue) => convertIssue(issue, schema, doc));
}
