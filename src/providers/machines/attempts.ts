/**
 * A machine job's attempts live in its handle (the record each provider
 * keeps in `handle.data`): starting attempt n+1 notes why attempt n was
 * followed and appends the new one, the same for every machine provider.
 */

import type { JobHandle } from '../types.ts';

/** The handle after attempt `next` has started: the ended attempt keeps why it was followed. */
export function handleWithAttempt<A extends { restartReason?: string }>(
  handle: JobHandle,
  record: { attempts: readonly A[] },
  reason: string,
  next: A,
): JobHandle {
  const attempts = record.attempts.map((a) => ({ ...a }));
  attempts.at(-1)!.restartReason = reason;
  attempts.push(next);
  return { ...handle, data: { ...record, attempts } as unknown as Record<string, unknown> };
}
