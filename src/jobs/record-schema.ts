/**
 * Every job record Strato reads back is checked against this schema: a file
 * edited by hand, cut short by a full disk or written by another version
 * must be reported by its job id, with a way out, and never reach code that
 * trusts its fields (a missing `createdAt` used to crash `strato list` for
 * every job). The schema follows `JobRecord` in `store.ts`; extra fields are
 * kept, so a newer Strato's records still read.
 */

import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { StratoError } from '../errors.ts';
import { findJson } from '../internal/atomic-json.ts';
import {
  damagedRecordHint,
  describeSchemaIssues,
  JOB_STATES,
  jobStatusSchema,
  timestamp,
} from '../providers/status-schema.ts';
import { PROVIDER_NAMES, STRATEGIES } from '../spec/schema.ts';
import type { JobRecord } from './store.ts';

/** The record's file name in a job folder (as in `store.ts`). */
const RECORD_FILE_NAME = 'job.json';

export const jobRecordSchema = z.looseObject({
  version: z.literal(1),
  id: z.string(),
  name: z.string(),
  provider: z.enum(PROVIDER_NAMES),
  strategy: z.enum(STRATEGIES),
  state: z.enum(JOB_STATES),
  runDir: z.string().min(1),
  jobDir: z.string().min(1),
  specFile: z.string().optional(),
  replicaCount: z.number().int().nonnegative(),
  cost: z
    .looseObject({
      hourlyUsd: z.number().nonnegative(),
      maxCostUsd: z.number().positive().optional(),
      endedAttemptsSec: z.number().nonnegative().optional(),
      capReached: z.string().optional(),
    })
    .optional(),
  createdAt: timestamp,
  updatedAt: timestamp,
  endedAt: timestamp.optional(),
  handle: z.looseObject({
    provider: z.enum(PROVIDER_NAMES),
    id: z.string(),
    data: z.record(z.string(), z.unknown()),
  }),
  status: jobStatusSchema.optional(),
});

/**
 * The record at `path` for job `id`, validated; undefined when there is none.
 * A damaged one (not JSON, fields missing or of the wrong type, another
 * job's id) is an E_CORRUPT error naming the job and the way out.
 */
export function readJobRecord(path: string, id: string, jobDir: string): JobRecord | undefined {
  let raw: unknown;
  try {
    raw = findJson<unknown>(path);
  } catch (error) {
    if (error instanceof StratoError && error.code === 'E_CORRUPT') {
      throw new StratoError('E_CORRUPT', `job ${id}: its record ${path} is not valid JSON`, {
        cause: error,
        hint: damagedRecordHint(id, jobDir),
      });
    }
    throw error;
  }
  if (raw === undefined) return undefined;
  const parsed = jobRecordSchema.safeParse(raw);
  if (!parsed.success) {
    throw new StratoError(
      'E_CORRUPT',
      `job ${id}: its record ${path} is damaged (${describeSchemaIssues(parsed.error)})`,
      {
        cause: parsed.error,
        hint: damagedRecordHint(id, jobDir),
      },
    );
  }
  if (parsed.data.id !== id) {
    throw new StratoError(
      'E_CORRUPT',
      `job ${id}: its record ${path} names another job ("${parsed.data.id}")`,
      {
        hint: damagedRecordHint(id, jobDir),
      },
    );
  }
  return parsed.data as unknown as JobRecord;
}

/** A job folder whose record cannot be used. */
export interface DamagedJob {
  id: string;
  jobDir: string;
  problem: StratoError;
}

/** Files a provider writes before the record exists; a folder holding one but no record lost its record. */
const PROVIDER_FILES = ['supervisor.json', 'launch.json'];
/** Longer than any submit takes between writing provider files and the record: younger folders are mid-submit. */
const MISSING_RECORD_GRACE_MS = 30_000;

/**
 * Runs `read` (which reads the job's record) and returns what is wrong with
 * the job folder, if anything: a record that fails to read, or none at all
 * beside a provider's files older than a submit takes.
 */
export function findDamage(
  jobDir: string,
  id: string,
  read: () => void,
  now = Date.now(),
): DamagedJob | undefined {
  try {
    read();
  } catch (error) {
    const problem =
      error instanceof StratoError
        ? error
        : new StratoError('E_IO', `job ${id}: ${(error as Error).message}`, { cause: error });
    return { id, jobDir, problem };
  }
  if (existsSync(join(jobDir, RECORD_FILE_NAME))) return undefined;
  for (const name of PROVIDER_FILES) {
    const stats = statSync(join(jobDir, name), { throwIfNoEntry: false });
    if (stats && now - stats.mtimeMs > MISSING_RECORD_GRACE_MS) {
      const problem = new StratoError(
        'E_CORRUPT',
        `job ${id}: its record ${join(jobDir, RECORD_FILE_NAME)} is missing`,
        {
          hint: damagedRecordHint(id, jobDir),
        },
      );
      return { id, jobDir, problem };
    }
  }
  return undefined;
}
