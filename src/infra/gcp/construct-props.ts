/**
 * Checking construct props for the Compute Engine constructs, with the job
 * spec's error model: one SpecError listing every problem (zod's and the
 * catalog's together), each with its field path prefixed by the resource's
 * id, the value received, what is allowed and the fix.
 */

import { z } from 'zod';
import { SpecError, type SpecIssue } from '../../errors.ts';
import { toSpecIssues } from '../../spec/issues.ts';
import { InfraResource } from '../construct.ts';

/** A prop naming another resource construct of the stack of this kind. */
export function referenceTo<T extends InfraResource<object>>(kind: string, what: string): z.ZodType<T> {
  return z.custom<T>((value) => value instanceof InfraResource && value.kind === kind, {
    message: `must be a ${what} construct of this stack`,
  });
}

/**
 * The props parsed by `schema`, after `extra` (checks zod cannot express,
 * e.g. against the GPU catalog) has added its issues; throws one SpecError
 * with all of them.
 */
export function parseProps<S extends z.ZodType>(
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

/** Compute Engine names (RFC 1035): what networks, firewall rules and VMs may be called. */
export const ComputeNameSchema = z
  .string()
  .regex(
    /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/,
    'must be 1-63 lowercase letters, digits and -, starting with a letter (RFC 1035)',
  );

/** Label keys and values as Compute Engine accepts them (https://cloud.google.com/compute/docs/labeling-resources#requirements). */
export const ComputeLabelsSchema = z
  .record(
    z
      .string()
      .regex(
        /^[a-z][a-z0-9_-]{0,62}$/,
        'must be a label key: lowercase letters, digits, _ and -, ≤ 63, starting with a letter',
      ),
    z.string().regex(/^[a-z0-9_-]{0,63}$/, 'must be a label value: lowercase letters, digits, _ and -, ≤ 63'),
  )
  .describe('Labels on the resource (beside strato-stack, which Strato sets).');
