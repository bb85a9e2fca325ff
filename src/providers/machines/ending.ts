/**
 * How a job on machines ends, the same for every machine provider: `cancel`
 * marks the attempt cancelled in its control folder (so a later look does not
 * read the vanished machines as a preemption) and deletes every machine;
 * `release`, called once by the lifecycle when the job has ended, keeps its
 * final status beside the attempt's objects (reads after the machines are
 * gone answer the same) and deletes every machine. The provider brings what
 * is its own: how to read the status, which control folder, how to delete.
 */

import { isTerminalState, type JobStatus } from '../types.ts';
import {
  type ControlStoreOptions,
  openControlFolder,
  writeCancelMarker,
  writeFinalStatus,
} from './control.ts';

export interface MachineJobEnding {
  /** The job's status now, read afresh (the provider forgets its paced answer first). */
  status(): Promise<JobStatus>;
  /** The current attempt's control folder, `<run dir>/attempts/<n>/`. */
  control: string;
  storage: ControlStoreOptions;
  /** Deletes every machine of the job, of every attempt; idempotent. */
  deleteMachines(): Promise<void>;
}

export async function cancelMachineJob(job: MachineJobEnding, reason: string | undefined): Promise<void> {
  if (!isTerminalState((await job.status()).state)) {
    const { store, prefix } = await openControlFolder(job.control, job.storage);
    await writeCancelMarker(store, prefix, reason ?? 'cancelled by request');
  }
  await job.deleteMachines();
}

export async function releaseMachineJob(job: MachineJobEnding): Promise<void> {
  const final = await job.status();
  if (isTerminalState(final.state)) {
    const { store, prefix } = await openControlFolder(job.control, job.storage);
    await writeFinalStatus(store, prefix, final);
  }
  await job.deleteMachines();
}
