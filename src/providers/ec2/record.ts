/**
 * What Strato keeps about an `ec2` job inside its handle, so any process can
 * reattach: the stack it runs on (and what was read from it at submit: launch
 * template, subnet, instance type), what each replica runs, the placeholder
 * host each replica has in the plan's env (replaced on the instance by its
 * peer's private DNS name, known only once the attempt's instances exist),
 * the endpoints it was submitted against, and every attempt. Plain JSON.
 */

import { StratoError } from '../../errors.ts';
import type { MachineReplica } from '../machines/replicas.ts';
import type { JobHandle } from '../types.ts';

export interface Ec2Attempt {
  attempt: number;
  startedAt: string;
  /** Why this attempt was followed by another. */
  restartReason?: string;
}

export interface Ec2JobRecord {
  provider: 'ec2';
  jobId: string;
  stack: string;
  region: string;
  launchTemplateId: string;
  /** The template version every attempt launches from, read at submit; `$Latest` when the stack has no output for it. */
  launchTemplateVersion?: string;
  subnetId: string;
  instanceType: string;
  runDir: string;
  image: string;
  command?: string[];
  args: string[];
  replicas: MachineReplica[];
  /** Replica → the host name standing for it in the plan's env (`worker-1.<job>.strato.invalid`). */
  hosts: Record<string, string>;
  spot: boolean;
  labels: Record<string, string>;
  /** The EC2 endpoint it was created through (moto's), when not the service. */
  ec2Endpoint?: string;
  /** The S3 endpoint its instances and readers use (moto's), when not the service. */
  s3Endpoint?: string;
  attempts: Ec2Attempt[];
}

/** The job record a handle carries; `prepared`: as handed to `onPrepared`, before its first attempt. */
export function ec2RecordOf(handle: JobHandle, options: { prepared?: boolean } = {}): Ec2JobRecord {
  const data = handle.data as Partial<Ec2JobRecord>;
  if (
    handle.provider !== 'ec2' ||
    data.provider !== 'ec2' ||
    !Array.isArray(data.attempts) ||
    (data.attempts.length === 0 && !options.prepared)
  ) {
    throw new StratoError('E_NOT_FOUND', `no EC2 job behind handle ${handle.id}`, {
      hint: 'the job record is not an ec2 one; `strato list` shows the jobs that exist',
    });
  }
  return data as Ec2JobRecord;
}

export function currentEc2Attempt(record: Ec2JobRecord): Ec2Attempt {
  return record.attempts.at(-1)!;
}
