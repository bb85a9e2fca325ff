import { describe, expect, it } from 'vitest';
import { StratoError } from '../../../src/errors.ts';
import { backoffDelay, type RetryPolicy, withRetry } from '../../../src/internal/retry.ts';
import { isRetryableVertexError, VERTEX_RETRY } from '../../../src/providers/vertex/retry-rules.ts';
import { GCS_RETRY } from '../../../src/storage/gcs/retry-rules.ts';

function recordingPolicy(policy: RetryPolicy): { policy: RetryPolicy; waits: number[] } {
  const waits: number[] = [];
  return { waits, policy: { ...policy, sleep: async (ms: number) => void waits.push(ms) } };
}

describe('backoffDelay', () => {
  it('draws a full-jitter delay under a doubling ceiling by default', () => {
    const policy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 500 };
    expect([1, 2, 3, 4].map((retry) => backoffDelay({ ...policy, random: () => 0.999 }, retry))).toEqual([
      99, 199, 399, 499,
    ]);
    expect(backoffDelay({ ...policy, random: () => 0 }, 4)).toBe(0);
  });

  it('with half jitter waits between half the ceiling and the ceiling, never at once', () => {
    const policy: RetryPolicy = {
      maxAttempts: 6,
      initialDelayMs: 250,
      multiplier: 2,
      maxDelayMs: 1000,
      jitter: 'half',
    };
    expect([1, 2, 3, 4].map((retry) => backoffDelay({ ...policy, random: () => 0 }, retry))).toEqual([
      125, 250, 500, 500,
    ]);
    expect(backoffDelay({ ...policy, random: () => 1 }, 2)).toBe(500);
  });

  it('keeps each service’s own defaults: Cloud Storage six calls with half jitter, Vertex five with full jitter', () => {
    expect(GCS_RETRY).toMatchObject({
      maxAttempts: 6,
      initialDelayMs: 250,
      maxDelayMs: 64_000,
      jitter: 'half',
    });
    expect(VERTEX_RETRY).toMatchObject({ maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 16_000 });
    expect(VERTEX_RETRY.jitter ?? 'full').toBe('full');
  });
});

describe('withRetry', () => {
  it('retries what the classifier calls transient, up to maxAttempts calls', async () => {
    const { policy, waits } = recordingPolicy({
      maxAttempts: 3,
      initialDelayMs: 10,
      maxDelayMs: 10,
      random: () => 0.5,
    });
    const attempts: number[] = [];
    await expect(
      withRetry(
        policy,
        async (attempt) => {
          attempts.push(attempt);
          throw new StratoError('E_TRANSIENT', 'blip');
        },
        { shouldRetry: isRetryableVertexError },
      ),
    ).rejects.toThrow('blip');
    expect(attempts).toEqual([1, 2, 3]);
    expect(waits).toEqual([5, 5]);
  });

  it('throws a permanent error at once', async () => {
    const { policy, waits } = recordingPolicy({ maxAttempts: 3, initialDelayMs: 10, maxDelayMs: 10 });
    let calls = 0;
    await expect(
      withRetry(
        policy,
        async () => {
          calls++;
          throw new StratoError('E_INVALID_REQUEST', 'bad');
        },
        { shouldRetry: isRetryableVertexError },
      ),
    ).rejects.toThrow('bad');
    expect(calls).toBe(1);
    expect(waits).toEqual([]);
  });

  it('returns what beforeRetry recovers instead of calling again', async () => {
    const { policy } = recordingPolicy({ maxAttempts: 5, initialDelayMs: 1, maxDelayMs: 1 });
    let calls = 0;
    const result = await withRetry(
      policy,
      async () => {
        calls++;
        throw new Error('response lost');
      },
      { shouldRetry: () => true, beforeRetry: async () => 'found it' },
    );
    expect(result).toBe('found it');
    expect(calls).toBe(1);
  });

  it('stops waiting as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const pending = withRetry(
      { maxAttempts: 5, initialDelayMs: 60_000, maxDelayMs: 60_000, jitter: 'half' },
      async () => {
        throw new Error('down');
      },
      { shouldRetry: () => true, signal: controller.signal },
    );
    setTimeout(() => controller.abort(new Error('interrupted')), 20);
    await expect(pending).rejects.toThrow('interrupted');
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
