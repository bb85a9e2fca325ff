/**
 * The run dir of a job id, looked up in the job store (`strato metrics JOB_ID`):
 * the record's `runDir` is where the job's TensorBoard logs are.
 */

import { stratoHome } from '../internal/home.ts';
import { createJobStore } from './store.ts';

/**
 * The job's run dir (URI or path), or undefined when the store has no such job
 * (an id that is not well formed is never looked up: no path tricks). A
 * record that cannot be read, or names no run dir, is E_CORRUPT (the store
 * checks every record against its schema).
 */
export function findJobRunDir(jobId: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return createJobStore(stratoHome(env)).findJob(jobId)?.runDir;
}
