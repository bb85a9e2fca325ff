/**
 * `supervisor.json` is read by every `status`, `logs`, `cancel` and `list`;
 * a damaged one must be reported by job id with the way out (`strato cancel
 * --force`, which finds the job's processes from its folder, not from this
 * file), and never crash a reader or hide a job that still runs.
 *
 * Readers check it here; the supervisor itself reads its own state raw
 * (`findLocalState`): it starts from a bundle that must not load zod.
 */

import { basename } from 'node:path';
import { z } from 'zod';
import { StratoError } from '../../errors.ts';
import { findJson } from '../../internal/atomic-json.ts';
import {
  damagedRecordHint,
  describeSchemaIssues,
  jobErrorSchema,
  replicaStatusSchema,
  restartRecordSchema,
} from '../status-schema.ts';
import { jobFiles, type LocalJobState } from './state.ts';

const pid = z.number().int().positive();

export const localJobStateSchema = z.looseObject({
  version: z.literal(1),
  jobId: z.string(),
  state: z.enum(['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED']),
  attempt: z.number().int().positive(),
  restarts: z.array(restartRecordSchema),
  replicas: z.array(
    replicaStatusSchema.extend({
      pgid: pid.optional(),
      startTicks: z.number().int().nonnegative().optional(),
    }),
  ),
  supervisor: z.looseObject({
    pid: pid.optional(),
    startTicks: z.number().int().nonnegative().optional(),
    watchdogPid: pid.optional(),
  }),
  error: jobErrorSchema.optional(),
  message: z.string().optional(),
  createdAt: z.string(),
  startedAt: z.string().optional(),
  endedAt: z.string().optional(),
  updatedAt: z.string(),
});

/** The supervisor's state at `path` in `jobDir`, validated; undefined when there is none. */
export function readLocalState(path: string, jobDir: string): LocalJobState | undefined {
  const id = basename(jobDir);
  let raw: unknown;
  try {
    raw = findJson<unknown>(path);
  } catch (error) {
    if (error instanceof StratoError && error.code === 'E_CORRUPT') {
      throw new StratoError('E_CORRUPT', `job ${id}: ${path} is not valid JSON`, {
        cause: error,
        hint: damagedRecordHint(id, jobDir),
      });
    }
    throw error;
  }
  if (raw === undefined) return undefined;
  const parsed = localJobStateSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StratoError(
      'E_CORRUPT',
      `job ${id}: ${path} is damaged (${describeSchemaIssues(parsed.error)})`,
      {
        cause: parsed.error,
        hint: damagedRecordHint(id, jobDir),
      },
    );
  }
  return parsed.data as unknown as LocalJobState;
}

/** `findLocalState` for readers: the job's supervisor state, validated; undefined when there is none. */
export function findCheckedLocalState(jobDir: string): LocalJobState | undefined {
  return readLocalState(jobFiles(jobDir).state, jobDir);
}
