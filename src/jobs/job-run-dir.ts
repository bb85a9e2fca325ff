/**
 * The run dir of a job id, looked up in the job store (`strato metrics JOB_ID`):
 * the record's `runDir` is where the job's TensorBoard logs are.
 */

import { StratoError } from '../errors.ts';
import { stratoHome } from '../internal/home.ts';
import { createJobStore } from './store.ts';

/**
 * The job's run dir (URI or path), or undefined when the store has no such job
 * (an id that is not well formed is never looked up: no path tricks). A record
 * that cannot be read or names no run dir is E_CORRUPT.
 */
export function findJobRunDir(jobId: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const store = createJobStore(stratoHome(env));
  const record = store.findJob(jobId);
  if (record === undefined) return undefined;
  const runDir: unknown = record.runDir;
  if (typeof runDir !== 'string' || runDir === '') {
    throw new StratoError('E_CORRUPT', `the record of job ${jobId} has no "runDir"`, {
      hint: `pass the run dir itself instead of the job id, or remove ${store.jobDir(jobId)} if the job is no longer needed`,
    });
  }
  return runDir;
}
