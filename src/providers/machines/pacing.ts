/**
 * How often a machine job's cloud state is read again, like the Vertex
 * provider's pacing: callers may ask `status` as often as they like (the
 * lifecycle asks every 250 ms); the cloud and the bucket are asked again
 * only when the last answer is older than this. Quick while machines come
 * up or a job may end, slower for a job long settled, never for an ended one.
 */

import { isTerminalState, type JobState } from '../types.ts';

export function nextMachinePollMs(state: JobState, msInState: number, scale = 1): number | undefined {
  if (isTerminalState(state)) return undefined;
  const fresh = msInState < 60_000;
  const ms = state === 'QUEUED' ? (fresh ? 3_000 : 15_000) : fresh ? 3_000 : 10_000;
  return ms * scale;
}

/** Remembers each attempt's last status until its next read is due. */
export class StatusPacer<T extends { state: JobState }> {
  readonly #entries = new Map<string, { value: T; since: number; nextAt: number }>();

  readonly #scale: number;
  readonly #now: () => number;

  constructor(scale: number, now: () => number = Date.now) {
    this.#scale = scale;
    this.#now = now;
  }

  cached(key: string): T | undefined {
    const entry = this.#entries.get(key);
    return entry && this.#now() < entry.nextAt ? entry.value : undefined;
  }

  remember(key: string, value: T): void {
    const at = this.#now();
    const previous = this.#entries.get(key);
    const since = previous && previous.value.state === value.state ? previous.since : at;
    const delay = nextMachinePollMs(value.state, at - since, this.#scale);
    if (delay === undefined) this.#entries.set(key, { value, since, nextAt: Number.POSITIVE_INFINITY });
    else if (delay <= 0) this.#entries.delete(key);
    else this.#entries.set(key, { value, since, nextAt: at + delay });
  }

  forget(key: string): void {
    this.#entries.delete(key);
  }

  /**
   * A provider's `statusMany`: each record answered from its remembered
   * status while that is fresh, the others read with one `read` call (one
   * batched look at the cloud for all of them), remembered, in order.
   */
  async many<R>(
    records: readonly R[],
    keyOf: (record: R) => string,
    read: (due: R[]) => Promise<T[]>,
  ): Promise<T[]> {
    const out = records.map((record) => this.cached(keyOf(record)));
    const due = records.filter((_, i) => !out[i]);
    if (due.length > 0) {
      const fresh = await read(due);
      let k = 0;
      records.forEach((record, i) => {
        if (out[i]) return;
        out[i] = fresh[k++]!;
        this.remember(keyOf(record), out[i]);
      });
    }
    return out as T[];
  }
}
