/**
 * Names and labels of a `gce` job's VMs. A VM is `strato-<job>-a<attempt>-<replica>`:
 * one name per replica and attempt, so attempt n+1's VMs never wait for
 * attempt n's names to be free. Compute Engine names are RFC 1035 labels of
 * at most 63 characters (https://cloud.google.com/compute/docs/naming-resources):
 * a long job id is cut and a short hash of it added, keeping the attempt and
 * replica readable at the end.
 */

import { createHash } from 'node:crypto';

const MAX_NAME = 63;

/** Labels every VM of a job carries: how status, restarts and cleanup find them (no local state needed). */
export const LABEL_JOB = 'strato-job';
export const LABEL_ATTEMPT = 'strato-attempt';

export function instanceName(jobId: string, attempt: number, replica: string): string {
  const tail = `-a${attempt}-${replica}`;
  const full = `strato-${jobId}${tail}`;
  if (full.length <= MAX_NAME) return full;
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 6);
  const room = MAX_NAME - 'strato-'.length - tail.length - hash.length - 1;
  return `strato-${jobId.slice(0, Math.max(1, room)).replace(/-+$/, '')}-${hash}${tail}`;
}

/** A Compute Engine list filter for the VMs of these jobs (one attempt each, or all attempts). */
export function jobsFilter(jobs: readonly { jobId: string; attempt?: number }[]): string {
  const one = (job: { jobId: string; attempt?: number }) =>
    job.attempt === undefined
      ? `(labels.${LABEL_JOB} = "${job.jobId}")`
      : `(labels.${LABEL_JOB} = "${job.jobId}" AND labels.${LABEL_ATTEMPT} = "${job.attempt}")`;
  return jobs.map(one).join(' OR ');
}
