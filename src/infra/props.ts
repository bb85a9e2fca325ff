/**
 * Construct props are checked when the construct is built, with the job
 * spec's error model: one SpecError listing every problem, each with the
 * field path (prefixed by the resource's id in the stack), the value
 * received, what is allowed and the fix.
 */

import { z } from 'zod';
import { SpecError, type SpecIssue } from '../errors.ts';
import { toSpecIssues } from '../spec/issues.ts';
import { InfraResource } from './construct.ts';

/** A prop that names another resource construct of the stack (becomes `{ ref: id }` for drivers). */
export function resourceReference<T extends InfraResource<object>>(kind: string, what: string): z.ZodType<T> {
  return z.custom<T>((value) => value instanceof InfraResource && value.kind === kind, {
    message: `must be a ${what} construct of this stack`,
  });
}

/**
 * The props parsed by `schema`, or one SpecError whose paths start with
 * `where` (the resource's id). `extra` adds the issues zod cannot see (a
 * check against the catalog), so zod's and its come out together.
 */
export function validateProps<S extends z.ZodType>(
  schema: S,
  props: unknown,
  where: string,
  extra: (parsed: z.output<S> | undefined, raw: unknown) => SpecIssue[] = () => [],
): z.output<S> {
  const result = schema.safeParse(props, { reportInput: true });
  const issues: SpecIssue[] = result.success ? [] : toSpecIssues(result.error.issues, schema, props);
  issues.push(...extra(result.success ? result.data : undefined, props));
  if (issues.length === 0 && result.success) return result.data;
  throw new SpecError(
    issues.map((issue) => ({ ...issue, path: issue.path === '' ? where : `${where}.${issue.path}` })),
    where,
  );
}
