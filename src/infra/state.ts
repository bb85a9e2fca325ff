/**
 * The state of a stack: what Strato deployed, resource by resource (props,
 * cloud address, outputs, dependencies). It is what `plan` diffs the
 * definitions against and what `destroy` deletes. Written whole after every
 * resource; validated on every read. A state that does not parse, or that
 * a newer Strato wrote, is refused (and never overwritten): guessing would
 * lose track of cloud resources that cost money.
 */

import { z } from 'zod';
import { StratoError } from '../errors.ts';
import type { RecordedResource } from './types.ts';

/** The format this Strato writes; a file with a higher number was written by a newer one. */
export const STATE_VERSION = 1;

const CloudRefSchema = z.looseObject({ project: z.string(), location: z.string(), name: z.string() });

const RecordedResourceSchema = z.strictObject({
  id: z.string().min(1),
  kind: z.string().min(1),
  props: z.record(z.string(), z.unknown()),
  ref: CloudRefSchema,
  outputs: z.record(z.string(), z.unknown()),
  dependsOn: z.array(z.string()),
});

export const StateSchema = z.strictObject({
  version: z.literal(STATE_VERSION),
  stack: z.string().min(1),
  /** Goes up by one on every write: a reader can tell two states apart. */
  serial: z.number().int().min(0),
  updatedAt: z.string(),
  resources: z.array(RecordedResourceSchema),
});

export type StackState = z.infer<typeof StateSchema> & { resources: RecordedResource[] };

export function emptyState(stack: string): StackState {
  return { version: STATE_VERSION, stack, serial: 0, updatedAt: new Date().toISOString(), resources: [] };
}

/** Validates a state read from `where`; refuses a corrupt one, a newer version, another stack's. */
export function parseState(text: string, where: string, stack: string): StackState {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new StratoError('E_CORRUPT', `the state ${where} is not valid JSON`, {
      cause: error,
      hint: 'it was damaged or edited by hand; restore it from a backup (it is not overwritten while it is damaged)',
    });
  }
  const version = (raw as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > STATE_VERSION) {
    throw new StratoError(
      'E_UNSUPPORTED',
      `the state ${where} is format ${version}, written by a newer Strato (this one reads ${STATE_VERSION})`,
      { hint: 'upgrade Strato (npm install strato@latest); the state is left as it is' },
    );
  }
  const parsed = StateSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new StratoError(
      'E_CORRUPT',
      `the state ${where} is damaged: ${first ? `${first.path.join('.') || '(document)'}: ${first.message}` : 'invalid'}`,
      { hint: 'restore it from a backup; it is not overwritten while it is damaged' },
    );
  }
  if (parsed.data.stack !== stack) {
    throw new StratoError(
      'E_CONFLICT',
      `the state ${where} belongs to stack ${parsed.data.stack}, not ${stack}`,
      {
        hint: 'use another --state for this stack',
      },
    );
  }
  return parsed.data as StackState;
}

/** Keys that would mean a secret is being written down (never in state). */
const SECRET_KEY = /(^|[._-])(secret|password|passwd|private[_-]?key|token|credentials?)($|[._-])/i;

/** Refuses to record a secret: state files are shared (gs://) and kept for years. */
export function assertNoSecrets(resource: RecordedResource): void {
  const walk = (value: unknown, path: string): void => {
    if (value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (SECRET_KEY.test(key)) {
        throw new StratoError(
          'E_INTERNAL',
          `resource ${resource.id} would record a secret in state (${path}${key})`,
          {
            hint: 'a driver must not return secrets in props or outputs; report this bug',
          },
        );
      }
      walk(item, `${path}${key}.`);
    }
  };
  walk(resource.props, 'props.');
  walk(resource.outputs, 'outputs.');
}
