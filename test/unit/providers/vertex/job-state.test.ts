/** Reading Vertex states: the "why isn't it running" line, restartable endings, poll pacing. */

import { describe, expect, it } from 'vitest';
import type { CustomJobView } from '../../../../src/providers/vertex/api.ts';
import {
  explainVertexState,
  formatAge,
  isRestartableFailure,
  nextPollDelayMs,
} from '../../../../src/providers/vertex/job-state.ts';

const NOW = new Date('2024-06-01T12:00:00Z');

function job(state: string, secondsInState: number, error?: CustomJobView['error']): CustomJobView {
  return {
    name: 'projects/p/locations/l/customJobs/1',
    displayName: 'j',
    state,
    labels: {},
    updateTime: new Date(NOW.getTime() - secondsInState * 1000),
    ...(error ? { error } : {}),
  };
}

describe('why a Vertex job is not running', () => {
  it.each([
    ['JOB_STATE_QUEUED', 20, 'STANDARD', 'queued for 20s: Vertex AI is scheduling it'],
    [
      'JOB_STATE_QUEUED',
      600,
      'STANDARD',
      'queued for 10m: waiting for custom-training quota in the region (raise the quota, or try another region)',
    ],
    [
      'JOB_STATE_QUEUED',
      600,
      'SPOT',
      'queued for 10m: waiting for custom-training quota or free Spot / flex-start capacity in the region (raise the quota, or try another region)',
    ],
    ['JOB_STATE_PENDING', 120, 'STANDARD', 'pending for 2m: provisioning machines and pulling the image'],
    [
      'JOB_STATE_PENDING',
      3600,
      'STANDARD',
      'pending for 60m: provisioning is slow — the accelerators may be scarce in the region, or the image is large',
    ],
    ['JOB_STATE_RUNNING', 7500, 'STANDARD', 'running for 2h05m'],
    ['JOB_STATE_CANCELLING', 3, 'STANDARD', 'cancelling for 3s: stopping the replicas'],
  ])('%s for %is (%s): %s', (state, seconds, strategy, line) => {
    expect(explainVertexState(job(state, seconds), NOW, strategy)).toBe(line);
  });

  it('shows the job error on failure', () => {
    const failed = job('JOB_STATE_FAILED', 5, {
      code: 3,
      message: 'The replica workerpool0-0 exited with a non-zero status of 1.',
    });
    expect(explainVertexState(failed, NOW)).toBe(
      'failed 5s ago: The replica workerpool0-0 exited with a non-zero status of 1.',
    );
  });

  it('formats ages compactly', () => {
    expect([formatAge(0), formatAge(89_000), formatAge(91_000), formatAge(5_400_000)]).toEqual([
      '0s',
      '89s',
      '2m',
      '1h30m',
    ]);
  });
});

describe('restartable endings', () => {
  it.each([
    [{ code: 14, message: 'The job was preempted: Compute Engine reclaimed the Spot VMs running it.' }, true],
    [{ code: 8, message: 'Resources are insufficient in region: us-central1.' }, true],
    [{ code: 3, message: 'The replica workerpool1-0 exited with a non-zero status of 143.' }, true],
    [{ code: 3, message: 'The replica workerpool0-0 exited with a non-zero status of 1.' }, false],
    [{ code: 1, message: 'CANCELED' }, false],
  ])('%j → %s', (error, restartable) => {
    expect(isRestartableFailure(job('JOB_STATE_FAILED', 1, error))).toBe(restartable);
  });

  it('a cancelled job never restarts', () => {
    expect(isRestartableFailure(job('JOB_STATE_CANCELLED', 1, { code: 14, message: 'preempted' }))).toBe(
      false,
    );
  });
});

describe('poll pacing', () => {
  it('is slow in the queue, quick after a transition, and stops at the end', () => {
    expect(nextPollDelayMs('JOB_STATE_QUEUED', 5_000)).toBe(10_000);
    expect(nextPollDelayMs('JOB_STATE_QUEUED', 5 * 60_000)).toBe(30_000);
    expect(nextPollDelayMs('JOB_STATE_QUEUED', 20 * 60_000)).toBe(60_000);
    expect(nextPollDelayMs('JOB_STATE_PENDING', 5_000)).toBe(5_000);
    expect(nextPollDelayMs('JOB_STATE_RUNNING', 5_000)).toBe(5_000);
    expect(nextPollDelayMs('JOB_STATE_RUNNING', 5 * 60_000)).toBe(30_000);
    expect(nextPollDelayMs('JOB_STATE_SUCCEEDED', 0)).toBeUndefined();
    expect(nextPollDelayMs('JOB_STATE_RUNNING', 5 * 60_000, 0.01)).toBe(300);
  });

  it('costs at most 2 reads a minute per queued job after the first minute', () => {
    expect(60_000 / nextPollDelayMs('JOB_STATE_QUEUED', 2 * 60_000)!).toBeLessThanOrEqual(2);
  });
});
