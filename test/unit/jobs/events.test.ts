import { describe, expect, it } from 'vitest';
import { statusEvents } from '../../../src/jobs/events.ts';
import type { JobStatus } from '../../../src/providers/types.ts';

const status = (patch: Partial<JobStatus>): JobStatus => ({
  state: 'QUEUED',
  replicas: [
    { name: 'worker-0', role: 'worker', index: 0, state: 'PENDING' },
    { name: 'worker-1', role: 'worker', index: 1, state: 'PENDING' },
  ],
  attempt: 1,
  restarts: [],
  ...patch,
});

describe('statusEvents', () => {
  it('reports everything on the first snapshot', () => {
    const events = statusEvents(undefined, status({}));
    expect(events.map((e) => e.type)).toEqual(['replica', 'replica', 'state']);
  });

  it('reports only what changed, with the previous state', () => {
    const before = status({});
    const after = status({
      state: 'RUNNING',
      replicas: [
        { name: 'worker-0', role: 'worker', index: 0, state: 'RUNNING', pid: 10 },
        { name: 'worker-1', role: 'worker', index: 1, state: 'PENDING' },
      ],
    });
    expect(statusEvents(before, after)).toEqual([
      { type: 'replica', replica: after.replicas[0], previous: 'PENDING' },
      { type: 'state', state: 'RUNNING', previous: 'QUEUED' },
    ]);
    expect(statusEvents(after, after)).toEqual([]);
  });

  it('reports each new restart once', () => {
    const restart = { attempt: 2, at: '2025-01-01T00:00:00.000Z', reason: 'worker-1 was killed by SIGKILL' };
    const before = status({ state: 'RUNNING' });
    const after = status({ state: 'RUNNING', attempt: 2, restarts: [restart] });
    expect(statusEvents(before, after)).toEqual([{ type: 'restart', restart }]);
    expect(statusEvents(after, after)).toEqual([]);
  });
});
