/**
 * What Strato keeps about a `tpu-vm` job inside its handle: the slice, what
 * each host runs, the endpoints it was made through, and every attempt's
 * queued resource (`strato-<job>-<attempt>`, its node named the same). Plain JSON.
 */

import { createHash } from 'node:crypto';
import { StratoError } from '../../errors.ts';
import type { MachineReplica } from '../machines/replicas.ts';
import type { JobHandle } from '../types.ts';

export interface TpuAttempt {
  attempt: number;
  /** The queued resource's id, which is also its node's id. */
  queuedResource: string;
  startedAt: string;
  restartReason?: string;
}

export interface TpuJobRecord {
  provider: 'tpu-vm';
  jobId: string;
  project: string;
  zone: string;
  runDir: string;
  image: string;
  command?: string[];
  args: string[];
  /** One per host of the slice; `index` is the host's `agent-worker-number`. */
  replicas: MachineReplica[];
  acceleratorType: string;
  runtimeVersion: string;
  provisioning: 'spot' | 'guaranteed';
  serviceAccount?: string;
  network?: string;
  labels: Record<string, string>;
  tpuEndpoint?: string;
  storageEndpoint?: string;
  attempts: TpuAttempt[];
  /** On a standing slice (`provider.slice`): the stack reference and its node; nothing is queued or deleted. */
  standing?: { ref: string; node: string; nodeId: string; zone: string };
}

/** `strato-<job>-<attempt>`: a TPU resource id (≤ 63, RFC 1035), a long job id cut and hashed. */
export function queuedResourceId(jobId: string, attempt: number): string {
  const full = `strato-${jobId}-${attempt}`;
  if (full.length <= 63) return full;
  const hash = createHash('sha256').update(jobId).digest('hex').slice(0, 6);
  const tail = `-${hash}-${attempt}`;
  return `strato-${jobId.slice(0, 63 - 7 - tail.length).replace(/-+$/, '')}${tail}`;
}

/** The job record a handle carries; `prepared`: as handed to `onPrepared`, before its first attempt. */
export function tpuRecordOf(handle: JobHandle, options: { prepared?: boolean } = {}): TpuJobRecord {
  const data = handle.data as Partial<TpuJobRecord>;
  if (
    handle.provider !== 'tpu-vm' ||
    data.provider !== 'tpu-vm' ||
    !Array.isArray(data.attempts) ||
    (data.attempts.length === 0 && !options.prepared)
  ) {
    throw new StratoError('E_NOT_FOUND', `no Cloud TPU job behind handle ${handle.id}`, {
      hint: 'the job record is not a tpu-vm one; `strato list` shows the jobs that exist',
    });
  }
  return data as TpuJobRecord;
}

export const currentTpuAttempt = (record: TpuJobRecord): TpuAttempt => record.attempts.at(-1)!;
