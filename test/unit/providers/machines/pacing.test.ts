import { describe, expect, it } from 'vitest';
import { nextMachinePollMs, StatusPacer } from '../../../../src/providers/machines/pacing.ts';
import type { JobState } from '../../../../src/providers/types.ts';

interface Seen {
  state: JobState;
  id: string;
  read: number;
}

describe('StatusPacer', () => {
  it('answers fresh statuses from memory and reads only the due ones, in one call, in order', async () => {
    let clock = 0;
    const pacer = new StatusPacer<Seen>(1, () => clock);
    const calls: string[][] = [];
    let reads = 0;
    const read = async (due: string[]) => {
      calls.push(due);
      reads++;
      return due.map((id) => ({
        state: (id === 'done' ? 'SUCCEEDED' : 'RUNNING') as JobState,
        id,
        read: reads,
      }));
    };
    const first = await pacer.many(['a', 'b', 'done'], (id) => id, read);
    expect(first.map((s) => `${s.id}@${s.read}`)).toEqual(['a@1', 'b@1', 'done@1']);
    pacer.forget('b');
    clock += 1_000; // under the 3 s of a fresh RUNNING status
    const second = await pacer.many(['a', 'b', 'done'], (id) => id, read);
    expect(second.map((s) => `${s.id}@${s.read}`)).toEqual(['a@1', 'b@2', 'done@1']);
    clock += 5_000; // a and b are due; an ended job is never read again
    const third = await pacer.many(['done', 'b', 'a'], (id) => id, read);
    expect(third.map((s) => `${s.id}@${s.read}`)).toEqual(['done@1', 'b@3', 'a@3']);
    expect(calls).toEqual([['a', 'b', 'done'], ['b'], ['b', 'a']]);
  });

  it('reads every time with scale 0 (what the tests use), never again once ended', () => {
    expect(nextMachinePollMs('RUNNING', 0, 0)).toBe(0);
    expect(nextMachinePollMs('SUCCEEDED', 0, 0)).toBeUndefined();
    expect(nextMachinePollMs('QUEUED', 120_000)).toBe(15_000);
  });
});
