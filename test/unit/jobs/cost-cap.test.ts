/**
 * The cost cap's arithmetic (`src/jobs/cost-cap.ts`), with the clock passed
 * in: price per hour × running time, summed over the attempts that ended
 * and the one that runs; queued time is free; a job already stopped for
 * its cap is not stopped again.
 */

import { describe, expect, it } from 'vitest';
import { attemptRunningSec, costCapReason, estimatedSpendUsd } from '../../../src/jobs/cost-cap.ts';
import type { JobRecord } from '../../../src/jobs/store.ts';
import type { JobStatus } from '../../../src/providers/types.ts';

const START = Date.parse('2026-01-01T10:00:00Z');
const at = (seconds: number) => new Date(START + seconds * 1000);

function running(startedSec?: number): JobStatus {
  return {
    state: startedSec === undefined ? 'QUEUED' : 'RUNNING',
    replicas: [],
    attempt: 1,
    restarts: [],
    ...(startedSec === undefined ? {} : { startedAt: at(startedSec).toISOString() }),
  };
}

function record(cost: JobRecord['cost']): JobRecord {
  return { id: 'j-abc123', cost } as JobRecord;
}

describe('the estimated spend', () => {
  it('is the price per hour × the running time of the attempt, from its start', () => {
    const cost = { hourlyUsd: 36, maxCostUsd: 12 };
    expect(estimatedSpendUsd(cost, running(0), at(600))).toBeCloseTo(6, 9);
  });

  it('counts nothing while queued', () => {
    expect(attemptRunningSec(running(), at(3600))).toBe(0);
    expect(estimatedSpendUsd({ hourlyUsd: 36 }, running(), at(3600))).toBe(0);
  });

  it('adds the attempts that ended to the current one', () => {
    const cost = { hourlyUsd: 36, endedAttemptsSec: 900 };
    expect(estimatedSpendUsd(cost, running(1000), at(1300))).toBeCloseTo((36 * 1200) / 3600, 9);
  });

  it('stops counting an ended attempt at its end', () => {
    const ended = { ...running(0), state: 'FAILED' as const, endedAt: at(100).toISOString() };
    expect(attemptRunningSec(ended, at(5000))).toBe(100);
  });
});

describe('the cap', () => {
  it('is reached when the spend reaches it, and the reason says both numbers', () => {
    const job = record({ hourlyUsd: 36, maxCostUsd: 12 });
    expect(costCapReason(job, running(0), at(1199))).toBeUndefined();
    expect(costCapReason(job, running(0), at(1204))).toBe(
      'estimated spend $12.04 reached the cap scheduling.maxCostUsd = 12',
    );
  });

  it('is not checked without a cap, nor again once reached', () => {
    expect(costCapReason(record({ hourlyUsd: 36 }), running(0), at(1e6))).toBeUndefined();
    const stopped = record({ hourlyUsd: 36, maxCostUsd: 12, capReached: 'estimated spend …' });
    expect(costCapReason(stopped, running(0), at(1e6))).toBeUndefined();
  });
});
