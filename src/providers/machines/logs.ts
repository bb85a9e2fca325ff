/**
 * Replica logs of a job on machines: the `<replica>.log` objects every VM
 * rewrites in its attempt's control folder (`agent/layout.ts`), all attempts in
 * order. One listing of `<run dir>/attempts/` per look; an object is read
 * again only when it has grown, and then only its new bytes (a ranged read
 * from where the last read stopped), so following a long log costs what is
 * new. A log that shrank (rewritten after a reboot) is read again from the start.
 */

import { sleep } from '../../internal/sleep.ts';
import { listAll, type ObjectStore } from '../../storage/types.ts';
import type { LogLine, LogOptions } from '../types.ts';

interface Cursor {
  offset: number;
  /** The tail of the last read after its last newline: the start of a line still being written. */
  partial: string;
}

/** `attempts/2/worker-0.log` → { attempt: 2, replica: 'worker-0' }. */
function logName(relative: string): { attempt: number; replica: string } | undefined {
  const match = /^(\d+)\/([^/]+)\.log$/.exec(relative);
  return match ? { attempt: Number(match[1]), replica: match[2]! } : undefined;
}

export interface MachineLogSource {
  store: ObjectStore;
  /** Key prefix of `<run dir>/attempts/`, with its trailing slash. */
  prefix: string;
  /** True once the job has ended (no more lines will come). */
  ended(): Promise<boolean>;
}

export async function* readMachineLogs(
  source: MachineLogSource,
  options: LogOptions = {},
): AsyncGenerator<LogLine> {
  const cursors = new Map<string, Cursor>();
  const interval = options.pollIntervalMs ?? 2000;
  let first = true;
  for (;;) {
    // Asked before listing: lines written before the job ended are in this listing.
    const ended = options.follow ? await source.ended() : true;
    const objects: { key: string; size: number; attempt: number; replica: string }[] = [];
    for await (const object of listAll(source.store, { prefix: source.prefix, brief: true })) {
      const name = logName(object.key.slice(source.prefix.length));
      if (!name || (options.replica && name.replica !== options.replica)) continue;
      objects.push({ key: object.key, size: object.size, ...name });
    }
    objects.sort((a, b) => a.attempt - b.attempt || a.replica.localeCompare(b.replica));
    const batch: LogLine[] = [];
    for (const object of objects) {
      const cursor = cursors.get(object.key) ?? { offset: 0, partial: '' };
      cursors.set(object.key, cursor);
      if (object.size < cursor.offset) Object.assign(cursor, { offset: 0, partial: '' });
      if (object.size > cursor.offset) {
        const bytes = await source.store.read(object.key, { start: cursor.offset, end: object.size });
        cursor.offset += bytes.length;
        const lines = (cursor.partial + bytes.toString('utf8')).split('\n');
        cursor.partial = lines.pop() ?? '';
        for (const text of lines) batch.push({ replica: object.replica, text: text.replace(/\r$/, '') });
      }
      if (ended && cursor.partial) {
        batch.push({ replica: object.replica, text: cursor.partial });
        cursor.partial = '';
      }
    }
    yield* first && options.tail !== undefined ? lastPerReplica(batch, options.tail) : batch;
    first = false;
    if (ended) return;
    await sleep(interval, options.signal);
  }
}

function lastPerReplica(lines: LogLine[], tail: number): LogLine[] {
  const kept = new Map<string, number>();
  const out: LogLine[] = [];
  for (let i = lines.length - 1; i >= 0; i--) {
    const count = kept.get(lines[i]!.replica) ?? 0;
    if (count >= tail) continue;
    kept.set(lines[i]!.replica, count + 1);
    out.push(lines[i]!);
  }
  return out.reverse();
}
