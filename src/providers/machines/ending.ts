/**
 * How a job on machines ends and is read back, the same for every machine
 * provider (`machineJobEnds`: `logs`, `cancel`, `release`): `cancel`
 * marks the attempt cancelled in its control folder (so a later look does not
 * read the vanished machines as a preemption) and deletes every machine;
 * `release`, called once by the lifecycle when the job has ended, keeps its
 * final status beside the attempt's objects (reads after the machines are
 * gone answer the same) and deletes every machine; `logs` reads every
 * attempt's log objects. The provider brings what is its own: how to read
 * the status, where the run dir is, how to delete.
 */

import { controlFolder } from '../../agent/layout.ts';
import { joinUri } from '../../internal/uri.ts';
import { isTerminalState, type JobHandle, type JobStatus, type Provider } from '../types.ts';
import {
  type ControlStoreOptions,
  openControlFolder,
  writeCancelMarker,
  writeFinalStatus,
} from './control.ts';
import { readMachineLogs } from './logs.ts';

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

/** What a machine provider knows of one job, for `machineJobEnds`. */
export interface MachineJob {
  runDir: string;
  /** The current attempt's number. */
  attempt: number;
  storage: ControlStoreOptions;
  /** Drops the provider's paced answer, so that the next status read asks the cloud. */
  forget(): void;
  /** Deletes every machine of the job, of every attempt; idempotent. */
  deleteMachines(): Promise<void>;
}

/** A machine provider's `logs`, `cancel` and `release`, from its own reading of a handle and its batched status. */
export function machineJobEnds(
  jobOf: (handle: JobHandle) => MachineJob,
  statusMany: (handles: readonly JobHandle[]) => Promise<JobStatus[]>,
): Pick<Required<Provider>, 'logs' | 'cancel' | 'release'> {
  const statusOf = async (handle: JobHandle) => (await statusMany([handle]))[0]!;
  const ending = (handle: JobHandle): MachineJobEnding => {
    const job = jobOf(handle);
    return {
      status: () => {
        job.forget();
        return statusOf(handle);
      },
      control: controlFolder(job.runDir, job.attempt),
      storage: job.storage,
      deleteMachines: job.deleteMachines,
    };
  };
  return {
    logs(handle, options = {}) {
      const job = jobOf(handle);
      return (async function* () {
        const { store, prefix } = await openControlFolder(joinUri(job.runDir, 'attempts/'), job.storage);
        yield* readMachineLogs(
          { store, prefix, ended: async () => isTerminalState((await statusOf(handle)).state) },
          options,
        );
      })();
    },
    async cancel(handle, reason) {
      await cancelMachineJob(ending(handle), reason);
      jobOf(handle).forget();
    },
    async release(handle) {
      await releaseMachineJob(ending(handle));
    },
  };
}
