/**
 * Refreshing many jobs at once, as `strato list`, `strato watch` and every
 * `watchJobs` tick do: the jobs that have not ended are asked for their
 * state with one batched call per provider where the provider offers it
 * (`statusMany`: one ListCustomJobs on Vertex, not one GetCustomJob per
 * job), and job by job otherwise; each answer then goes through
 * `reconcileJob` (a job whose controller died is restarted here if it has
 * to be). Jobs that have ended are not asked again — unless releasing
 * their machines failed: then each look tries again (`releasePending`).
 */

import type { JobStatus, Provider } from '../providers/types.ts';
import { isTerminalState } from '../providers/types.ts';
import { contextOf, type JobsOptions, providerFor } from './context.ts';
import { reconcileJob, releasePending } from './controller.ts';
import type { JobRecord } from './store.ts';

export interface RefreshedJob {
  record: JobRecord;
  /** Why the job could not be asked (its provider failed to load or answer); the record is as stored. */
  problem?: string;
  /** The error behind `problem`. */
  error?: unknown;
}

/**
 * One batched call where the provider offers it; otherwise job by job, so
 * one job the provider cannot read (a damaged state file) does not hold
 * back the others.
 */
async function statusesOf(provider: Provider, records: readonly JobRecord[]): Promise<(JobStatus | Error)[]> {
  if (provider.statusMany) return provider.statusMany(records.map((r) => r.handle));
  return Promise.all(records.map((r) => provider.status(r.handle).catch((error: Error) => error)));
}

/** The records, in the given order, with every job that has not ended asked again and stored. */
export async function refreshJobs(
  records: readonly JobRecord[],
  options: JobsOptions & { asController?: boolean } = {},
): Promise<RefreshedJob[]> {
  const { store } = contextOf(options);
  const out: RefreshedJob[] = records.map((record) => ({ record }));
  const live = new Map<string, number[]>();
  records.forEach((record, i) => {
    if (isTerminalState(record.state) && !releasePending(record.jobDir)) return;
    live.set(record.provider, [...(live.get(record.provider) ?? []), i]);
  });
  await Promise.all(
    [...live.entries()].map(async ([providerName, indexes]) => {
      // The stored records: another process (the job's controller) may have moved a job to its next attempt.
      const batch = indexes.map((i) => store.findJob(records[i]!.id) ?? records[i]!);
      try {
        const provider = await providerFor(batch[0]!, options);
        const statuses = await statusesOf(provider, batch);
        await Promise.all(
          indexes.map(async (i, k) => {
            const status = statuses[k]!;
            if (status instanceof Error) {
              out[i] = { record: batch[k]!, problem: status.message, error: status };
              return;
            }
            try {
              const { record } = await reconcileJob(batch[k]!, provider, store, {
                status,
                ...(options.asController ? { asController: true } : {}),
              });
              out[i] = { record };
            } catch (error) {
              out[i] = { record: batch[k]!, problem: (error as Error).message, error };
            }
          }),
        );
      } catch (error) {
        const problem = `${providerName}: ${(error as Error).message}`;
        for (const i of indexes) out[i] = { record: records[i]!, problem, error };
      }
    }),
  );
  return out;
}
