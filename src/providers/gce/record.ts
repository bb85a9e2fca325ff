/**
 * What Strato keeps about a `gce` job inside its handle, so any process can
 * reattach: where it runs, what each replica runs (attempt 1's env; a later
 * attempt renames the hosts), the machines' shape, the endpoints it was
 * submitted against, and every attempt with the zone it landed in. Plain JSON.
 */

import { StratoError } from '../../errors.ts';
import type { GpuAccelerator } from '../../spec/schema.ts';
import type { MachineReplica } from '../machines/replicas.ts';
import type { JobHandle } from '../types.ts';

export interface GceReplica extends MachineReplica {
  machineType: string;
  accelerator?: GpuAccelerator;
  diskSizeGb?: number;
}

export interface GceAttempt {
  attempt: number;
  zone: string;
  startedAt: string;
  /** Why this attempt was followed by another. */
  restartReason?: string;
}

export interface GceJobRecord {
  provider: 'gce';
  jobId: string;
  project: string;
  /** Allowed zones, in the order they are tried. */
  zones: string[];
  runDir: string;
  image: string;
  command?: string[];
  args: string[];
  replicas: GceReplica[];
  spot: boolean;
  maxRunDurationSec?: number;
  serviceAccount?: string;
  network?: string;
  labels: Record<string, string>;
  /** The Compute Engine endpoint it was created through (a fake's), when not the service. */
  computeEndpoint?: string;
  /** The Cloud Storage JSON API its VMs and readers use (a fake's), when not the service. */
  storageEndpoint?: string;
  attempts: GceAttempt[];
  /** On standing VMs (`provider.vms`): the stack reference and the VM of each replica, in order. */
  standing?: { ref: string; vms: { name: string; zone: string }[] };
}

/** The job record a handle carries; `prepared`: as handed to `onPrepared`, before its first attempt. */
export function gceRecordOf(handle: JobHandle, options: { prepared?: boolean } = {}): GceJobRecord {
  const data = handle.data as Partial<GceJobRecord>;
  if (
    handle.provider !== 'gce' ||
    data.provider !== 'gce' ||
    !Array.isArray(data.attempts) ||
    (data.attempts.length === 0 && !options.prepared)
  ) {
    throw new StratoError('E_NOT_FOUND', `no Compute Engine job behind handle ${handle.id}`, {
      hint: 'the job record is not a gce one; `strato list` shows the jobs that exist',
    });
  }
  return data as GceJobRecord;
}

export function currentGceAttempt(record: GceJobRecord): GceAttempt {
  return record.attempts.at(-1)!;
}
