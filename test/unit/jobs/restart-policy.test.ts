/**
 * The one restart rule, as a table: what ended, how many restarts were used
 * and allowed, and what the lifecycle does — in the same words for every
 * provider.
 */

import { describe, expect, it } from 'vitest';
import { decideRestart } from '../../../src/jobs/restart-policy.ts';
import type { AttemptOutcome } from '../../../src/providers/types.ts';

const preempted = (cause: string): AttemptOutcome => ({ kind: 'failed', preempted: true, cause });
const crashed: AttemptOutcome = {
  kind: 'failed',
  preempted: false,
  cause: 'worker-0 exited with code 1',
  replica: 'worker-0',
  exitCode: 1,
};
const localPreemption: AttemptOutcome = {
  kind: 'failed',
  preempted: true,
  cause: 'worker-1 was killed by SIGTERM',
  replica: 'worker-1',
  signal: 'SIGTERM',
};
const vertexPreemption = preempted(
  'The job was preempted: Compute Engine reclaimed the Spot VMs running it.',
);

describe('decideRestart', () => {
  it.each([
    {
      given: 'a success',
      outcome: { kind: 'succeeded' } as AttemptOutcome,
      used: 0,
      max: 3,
      restart: false,
      reason: 'succeeded',
      message: 'succeeded',
    },
    {
      given: 'a program that failed by itself, restarts left',
      outcome: crashed,
      used: 0,
      max: 3,
      restart: false,
      reason: 'failed',
      message: 'worker-0 exited with code 1',
    },
    {
      given: 'a local preemption, the first restart',
      outcome: localPreemption,
      used: 0,
      max: 3,
      restart: true,
      reason: 'preempted',
      message: 'worker-1 was killed by SIGTERM (a preemption); restarting as attempt 2 of 4',
    },
    {
      given: 'a Vertex preemption, the last restart left',
      outcome: vertexPreemption,
      used: 2,
      max: 3,
      restart: true,
      reason: 'preempted',
      message:
        'The job was preempted: Compute Engine reclaimed the Spot VMs running it. (a preemption); restarting as attempt 4 of 4',
    },
    {
      given: 'a preemption with every restart used',
      outcome: localPreemption,
      used: 3,
      max: 3,
      restart: false,
      reason: 'restarts-used',
      message: 'worker-1 was killed by SIGTERM (a preemption; all 3 restarts of scheduling.maxRestarts used)',
    },
    {
      given: 'a preemption with one restart allowed and used',
      outcome: vertexPreemption,
      used: 1,
      max: 1,
      restart: false,
      reason: 'restarts-used',
      message:
        'The job was preempted: Compute Engine reclaimed the Spot VMs running it. (a preemption; all 1 restart of scheduling.maxRestarts used)',
    },
    {
      given: 'a preemption with restarts disabled',
      outcome: localPreemption,
      used: 0,
      max: 0,
      restart: false,
      reason: 'restarts-disabled',
      message:
        'worker-1 was killed by SIGTERM (a preemption; scheduling.maxRestarts is 0, so the job is not restarted)',
    },
  ])(
    'GIVEN $given ($used of $max restarts used) THEN restart=$restart',
    ({ outcome, used, max, ...expected }) => {
      expect(decideRestart(outcome, used, max)).toEqual({
        restart: expected.restart,
        reason: expected.reason,
        message: expected.message,
      });
    },
  );

  it('never restarts more than maxRestarts times, whatever the count says', () => {
    for (let used = 0; used <= 6; used++) {
      expect(decideRestart(localPreemption, used, 4).restart).toBe(used < 4);
    }
  });
});
