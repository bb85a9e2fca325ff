/**
 * Retries with full-jitter exponential backoff, for what is safe to repeat:
 * only errors marked `retryable` are retried. Delays and randomness are
 * passed in, so tests run in milliseconds and repeat exactly.
 * (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/,
 * https://cloud.google.com/storage/docs/retry-strategy#exponential-backoff)
 */

import { StratoError } from '../../errors.ts';

export interface RetryPolicy {
  /** Calls in all, the first included. */
  attempts: number;
  /** Backoff cap of the first retry; doubles each time. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Uniform random in [0, 1); default Math.random. */
  random?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** Five calls over ~30 s at worst: long enough for a blip, short enough for a terminal. */
export const DEFAULT_RETRY: RetryPolicy = { attempts: 5, initialDelayMs: 1000, maxDelayMs: 16_000 };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Full jitter: a uniform delay in [0, min(cap, initial × 2^retry)). */
export function backoffDelay(retry: number, policy: RetryPolicy): number {
  const cap = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** retry);
  return Math.floor((policy.random ?? Math.random)() * cap);
}

export function isRetryable(error: unknown): boolean {
  return error instanceof StratoError && error.retryable;
}

/**
 * Calls `operation` until it succeeds, throws something not retryable, or
 * runs out of attempts. `beforeRetry` runs between a failure and the next
 * call; when it returns a value, that value is the result (used to find a
 * job whose create response was lost).
 */
export async function withRetry<T>(
  operation: () => Promise<T>,
  policy: RetryPolicy,
  beforeRetry?: (error: unknown) => Promise<T | undefined>,
): Promise<T> {
  const wait = policy.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation();
    } catch (error) {
      if (!isRetryable(error) || attempt >= policy.attempts) throw error;
      await wait(backoffDelay(attempt - 1, policy));
      const recovered = await beforeRetry?.(error);
      if (recovered !== undefined) return recovered;
    }
  }
}
