/**
 * What Strato keeps about a Vertex job (inside the job handle), so any later
 * process can reattach: where it runs, the CustomJob body of the first
 * attempt (a later attempt resubmits it with the next attempt number) and
 * every attempt's CustomJob. Plain JSON. How many restarts are allowed is
 * the lifecycle's to know (`JobRecord.maxRestarts`), not the provider's.
 */

import { displayNameOf, LABEL_ATTEMPT } from './custom-job.ts';
import type { CustomJobBody } from './custom-job-body.ts';

export interface VertexAttempt {
  attempt: number;
  /** `projects/P/locations/L/customJobs/ID` */
  customJob: string;
  submittedAt: string;
  /** Last Vertex state seen, e.g. `JOB_STATE_FAILED`. */
  state?: string;
  error?: { code: number; message: string };
  /** Why this attempt was followed by another (preemption, stockout). */
  restartReason?: string;
}

export interface VertexJobRecord {
  provider: 'vertex';
  jobId: string;
  project: string;
  region: string;
  /** Run dir (`baseOutputDirectory`), where model/, checkpoints/ and logs/ land. */
  runDir: string;
  /** The CustomJob of attempt 1; later attempts differ in the attempt label and display name. */
  body: CustomJobBody;
  attempts: VertexAttempt[];
}

/** The CustomJob to submit for an attempt. */
export function bodyForAttempt(record: VertexJobRecord, attempt: number): CustomJobBody {
  const body = structuredClone(record.body);
  body.labels[LABEL_ATTEMPT] = String(attempt);
  body.displayName = displayNameOf(record.jobId, attempt);
  return body;
}

export function currentAttempt(record: VertexJobRecord): VertexAttempt {
  const last = record.attempts.at(-1);
  if (!last) throw new Error(`Vertex job record ${record.jobId} has no attempt`);
  return last;
}
