/**
 * `strato cancel --force ID`: stop a job whose records cannot be trusted.
 * A damaged `job.json` or `supervisor.json` must not leave a running job
 * uncancellable, so this does not start from the records: it finds the
 * job's processes from its folder (see `providers/local/job-processes.ts`),
 * stops them, and only then reads the records to end the job's state where
 * they allow it. Removing the folder is left to the user, after this.
 */

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StratoError } from '../errors.ts';
import { isWellFormedJobId } from './ids.ts';
import { contextOf, getJob, type JobsOptions } from './submit.ts';

/** The supervisor's own grace for its replicas (10 s) and time for it to write its last state. */
const FORCE_GRACE_MS = 15_000;

export interface ForceCancelResult {
  id: string;
  jobDir: string;
  /** Processes of the job that were running and were stopped. */
  stopped: number;
  /** The job's state afterwards, when its records could be read. */
  state?: string;
  /** Why the records could not be read (the job is stopped all the same). */
  damaged?: string;
}

export async function forceCancel(
  id: string,
  options: JobsOptions & { graceMs?: number } = {},
): Promise<ForceCancelResult> {
  const { store } = contextOf(options);
  const jobDir = store.jobDir(id);
  if (!isWellFormedJobId(id) || !existsSync(jobDir)) {
    throw new StratoError('E_NOT_FOUND', `no job folder for "${id}" in ${store.root}`, {
      hint: '`strato list` shows every job, damaged ones included',
    });
  }
  // Read by whoever ends the record next: the job ends CANCELLED, not FAILED.
  writeFileSync(join(jobDir, 'cancel-requested'), 'cancelled with strato cancel --force\n', { mode: 0o600 });
  const { stopJobProcesses } = await import('../providers/local/job-processes.ts');
  const stopped = await stopJobProcesses(jobDir, options.graceMs ?? FORCE_GRACE_MS);
  try {
    const job = await getJob(id, options);
    // A cloud job has no processes here: cancel it where it runs.
    const status =
      job.record.provider === 'local' ? await job.status() : await job.cancel('strato cancel --force');
    return { id, jobDir, stopped: stopped.length, state: status.state };
  } catch (error) {
    if (error instanceof StratoError && (error.code === 'E_CORRUPT' || error.code === 'E_NOT_FOUND')) {
      return { id, jobDir, stopped: stopped.length, damaged: error.message };
    }
    throw error;
  }
}
