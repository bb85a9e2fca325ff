/**
 * Schemas of a job's status as stored on disk (in the job record and in the
 * local supervisor's state), and how a damaged record is reported. Kept
 * apart from the record's schema so the supervisor, which reads only its
 * own state, does not load the spec schema to start.
 */

import { z } from 'zod';

export const JOB_STATES = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'] as const;
const REPLICA_STATES = ['PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'STOPPED', 'IDLE'] as const;
export const timestamp = z.string().refine((text) => !Number.isNaN(Date.parse(text)), 'not a timestamp');

export const replicaStatusSchema = z.looseObject({
  name: z.string(),
  role: z.string(),
  index: z.number().int().nonnegative(),
  state: z.enum(REPLICA_STATES),
  exitCode: z.number().int().optional(),
  signal: z.string().optional(),
  pid: z.number().int().positive().optional(),
  startedAt: timestamp.optional(),
  endedAt: timestamp.optional(),
});

export const jobErrorSchema = z.looseObject({
  message: z.string(),
  replica: z.string().optional(),
  exitCode: z.number().int().optional(),
  signal: z.string().optional(),
  lastLines: z.array(z.string()).optional(),
});

export const restartRecordSchema = z.looseObject({
  attempt: z.number().int().positive(),
  at: timestamp,
  reason: z.string(),
});

export const jobStatusSchema = z.looseObject({
  state: z.enum(JOB_STATES),
  replicas: z.array(replicaStatusSchema),
  attempt: z.number().int().positive(),
  restarts: z.array(restartRecordSchema),
  error: jobErrorSchema.optional(),
  message: z.string().optional(),
  startedAt: timestamp.optional(),
  endedAt: timestamp.optional(),
});

/** What to do about a damaged record of job `id`: stop what still runs, then repair or remove. */
export function damagedRecordHint(id: string, jobDir: string): string {
  return (
    `\`strato cancel --force ${id}\` stops whatever of the job still runs (found from its folder, not the record); ` +
    `then restore the file from a copy, or remove ${jobDir} once you no longer need its logs`
  );
}

/** The first few problems zod found, as `field: message`. */
export function describeSchemaIssues(error: z.ZodError, limit = 3): string {
  const shown = error.issues
    .slice(0, limit)
    .map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(record)'}: ${issue.message}`);
  const more = error.issues.length > limit ? `; … (${error.issues.length} problems in all)` : '';
  return shown.join('; ') + more;
}
