/**
 * The YAML form of a stack, for users who prefer no code: the same
 * constructs, named by type, each with its id and props.
 *
 * ```yaml
 * kind: Stack
 * name: data
 * project: my-project
 * region: us-central1
 * resources:
 *   Bucket:
 *     data: { lifecycle: [{ prefix: checkpoints/, deleteAfterDays: 7 }] }
 *   BucketIamBinding:
 *     readers: { bucket: { ref: data }, role: roles/storage.objectViewer, members: [...] }
 * ```
 *
 * `{ ref: ID }` names another resource of the stack (it becomes the
 * construct, so the reference and the dependency are the same as in code).
 * Every problem in the document is reported at once.
 */

import { z } from 'zod';
import { SpecError, type SpecIssue } from '../errors.ts';
import { toSpecIssues } from '../spec/issues.ts';
import { closest } from '../spec/suggest.ts';
import { type InfraResource, Stack } from './construct.ts';
import { CONSTRUCT_TYPES } from './construct-types.ts';

/** A stack's name is the value of the `strato-stack` label: label rules, and short enough to name resources. */
export const STACK_NAME = /^[a-z][a-z0-9-]{0,39}$/;
export const STACK_NAME_RULE =
  'must be a stack name: a lowercase letter, then lowercase letters, digits and -, ≤ 40';

const ID = /^[A-Za-z][A-Za-z0-9_-]{0,62}$/;

export const YamlStackSchema = z.strictObject({
  kind: z.literal('Stack'),
  name: z.string().regex(STACK_NAME, STACK_NAME_RULE),
  project: z.string().min(1).describe('Default project of the resources.'),
  region: z.string().optional(),
  zone: z.string().optional(),
  labels: z.record(z.string(), z.string()).optional(),
  resources: z
    .record(
      z.string(),
      z.record(
        z.string().regex(ID, 'must be an id: a letter, then letters, digits, _ and -'),
        z.record(z.string(), z.unknown()).nullable(),
      ),
    )
    .default({}),
});

/** `{ ref: ID }` anywhere in props, replaced by the construct it names. */
function resolveRefs(value: unknown, built: Map<string, InfraResource>, missing: Set<string>): unknown {
  if (Array.isArray(value)) return value.map((item) => resolveRefs(item, built, missing));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === 'ref' && typeof entries[0]![1] === 'string') {
      const target = built.get(entries[0]![1]);
      if (!target) missing.add(entries[0]![1]);
      return target ?? value;
    }
    return Object.fromEntries(entries.map(([key, item]) => [key, resolveRefs(item, built, missing)]));
  }
  return value;
}

function refsIn(value: unknown, into: Set<string>): Set<string> {
  if (Array.isArray(value)) for (const item of value) refsIn(item, into);
  else if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value);
    if (entries.length === 1 && entries[0]![0] === 'ref' && typeof entries[0]![1] === 'string')
      into.add(entries[0]![1]);
    else for (const [, item] of entries) refsIn(item, into);
  }
  return into;
}

/** Builds the stack a YAML document describes; one SpecError with every problem. */
export async function stackFromYaml(doc: unknown, source: string): Promise<Stack> {
  const parsed = YamlStackSchema.safeParse(doc, { reportInput: true });
  if (!parsed.success) throw new SpecError(toSpecIssues(parsed.error.issues, YamlStackSchema, doc), source);
  const { name, project, region, zone, labels, resources } = parsed.data;
  const stack = new Stack(name, {
    project,
    ...(region ? { region } : {}),
    ...(zone ? { zone } : {}),
    ...(labels ? { labels } : {}),
  });
  const issues: SpecIssue[] = [];
  const pending: { type: string; id: string; props: Record<string, unknown> }[] = [];
  const ids = new Set<string>();
  for (const [type, byId] of Object.entries(resources)) {
    if (!CONSTRUCT_TYPES[type]) {
      const near = closest(type, Object.keys(CONSTRUCT_TYPES), 1);
      issues.push({
        path: `resources.${type}`,
        message: 'is not a construct type',
        allowed: Object.keys(CONSTRUCT_TYPES),
        ...(near.length > 0 ? { fix: `did you mean "${near[0]}"?` } : {}),
      });
      continue;
    }
    for (const [id, props] of Object.entries(byId)) {
      if (ids.has(id))
        issues.push({
          path: `resources.${type}.${id}`,
          message: 'repeats an id used by another resource',
          fix: 'ids are unique in a stack',
        });
      ids.add(id);
      pending.push({ type, id, props: props ?? {} });
    }
  }
  // Build in dependency order: a resource once every resource it refers to exists.
  const built = new Map<string, InfraResource>();
  // Resources whose props were bad: already reported, so a reference to one is not reported again.
  const failed = new Set<string>();
  let progress = true;
  while (pending.length > 0 && progress) {
    progress = false;
    for (const item of [...pending]) {
      const refs = [...refsIn(item.props, new Set())];
      if (refs.some((ref) => ids.has(ref) && !built.has(ref) && !failed.has(ref) && ref !== item.id))
        continue;
      pending.splice(pending.indexOf(item), 1);
      progress = true;
      const missing = new Set<string>();
      const props = resolveRefs(item.props, built, missing);
      for (const ref of [...missing].filter((id) => !failed.has(id))) {
        issues.push({
          path: `resources.${item.type}.${item.id}`,
          message: `refers to ${ref}, which is not a resource of this stack`,
          received: ref,
          allowed: [...ids],
        });
      }
      if (missing.size > 0) continue;
      try {
        const Type = await CONSTRUCT_TYPES[item.type]!();
        built.set(item.id, new Type(stack, item.id, props as never));
      } catch (error) {
        if (!(error instanceof SpecError)) throw error;
        failed.add(item.id);
        issues.push(
          ...error.issues.map((issue) => ({ ...issue, path: `resources.${item.type}.${issue.path}` })),
        );
      }
    }
  }
  for (const item of pending) {
    issues.push({
      path: `resources.${item.type}.${item.id}`,
      message: 'is part of a reference cycle',
      fix: 'remove one of the `ref`s',
    });
  }
  if (issues.length > 0) throw new SpecError(issues, source);
  return stack;
}
