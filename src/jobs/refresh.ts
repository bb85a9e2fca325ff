/**
 * Refreshing many jobs at once, as `strato list` and `strato watch` do: the
 * jobs that have not ended are asked for their state with one batched call
 * per provider where the provider offers it (`statusMany`: one
 * ListCustomJobs per tick on Vertex, not one GetCustomJob per job), and job
 * by job otherwise. Jobs that have ended are not asked again.
 */

import type { JobStatus, Provider } from '../providers/types.ts';
import { isTerminalState } from '../providers/types.ts';
import type { JobRecord } from './store.ts';
import { contextOf, type JobsOptions, providerFor } from './submit.ts';

export interface RefreshedJob {
  record: JobRecord;
  /** Why the job could not be asked (its provider failed to load or answer); the record is as stored. */
  problem?: string;
}

async function statusesOf(provider: Provider, records: readonly JobRecord[]): Promise<JobStatus[]> {
  if (provider.statusMany) return provider.statusMany(records.map((r) => r.handle));
  return Promise.all(records.map((r) => provider.status(r.handle)));
}

/** Job by job, so one job the provider cannot read (a damaged state file) does not hold back the others. */
async function statusesOneByOne(
  provider: Provider,
  records: readonly JobRecord[],
): Promise<(JobStatus | Error)[]> {
  return Promise.all(records.map((r) => provider.status(r.handle).catch((error: Error) => error)));
}

/** The records, in the given order, with every job that has not ended asked again and stored. */
export async function refreshJobs(
  records: readonly JobRecord[],
  options: JobsOptions = {},
): Promise<RefreshedJob[]> {
  const { store } = contextOf(options);
  const out: RefreshedJob[] = records.map((record) => ({ record }));
  const live = new Map<string, number[]>();
  records.forEach((record, i) => {
    if (isTerminalState(record.state)) return;
    live.set(record.provider, [...(live.get(record.provider) ?? []), i]);
  });
  await Promise.all(
    [...live.entries()].map(async ([providerName, indexes]) => {
      const batch = indexes.map((i) => records[i]!);
      try {
        const provider = await providerFor(batch[0]!, options);
        const statuses = provider.statusMany
          ? await statusesOf(provider, batch)
          : await statusesOneByOne(provider, batch);
        indexes.forEach((i, k) => {
          const record = records[i]!;
          const status = statuses[k]!;
          out[i] =
            status instanceof Error
              ? { record, problem: status.message }
              : { record: store.saveStatus(record.id, status, undefined, record.handle) };
        });
      } catch (error) {
        const problem = `${providerName}: ${(error as Error).message}`;
        for (const i of indexes) out[i] = { record: records[i]!, problem };
      }
    }),
  );
  return out;
}
