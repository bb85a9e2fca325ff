/**
 * The one retry loop: exponential backoff with jitter, for calls that are
 * safe to repeat. What counts as transient is the caller's classifier
 * (`shouldRetry`); each service keeps its classifier and its named default
 * policy beside its client (storage/gcs/retry-rules.ts,
 * providers/vertex/retry-rules.ts). Delays, randomness and the wait are data
 * in the policy, so tests scale them down to milliseconds and repeat exactly.
 * (https://cloud.google.com/storage/docs/retry-strategy#exponential-backoff,
 * https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/)
 */

import { type FailureBudget, FailureBudgetExhausted } from './failure-budget.ts';
import { sleep } from './sleep.ts';

export interface RetryPolicy {
  /** Calls in all, the first included. */
  maxAttempts: number;
  /** Ceiling of the first retry's delay; each later retry multiplies it by `multiplier`. */
  initialDelayMs: number;
  /** No delay exceeds this. */
  maxDelayMs: number;
  /** Default 2. */
  multiplier?: number;
  /**
   * How a delay is drawn under its ceiling: `full` (default) uniform in
   * [0, ceiling), which spreads many clients best; `half` uniform in
   * [ceiling/2, ceiling], which never retries at once.
   */
  jitter?: 'full' | 'half';
  /** Uniform random in [0, 1); default Math.random. */
  random?: () => number;
  /** The wait between attempts; default the abortable `sleep`. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

/** Delay before retry number `retry` (1 for the first retry). */
export function backoffDelay(policy: RetryPolicy, retry: number): number {
  const ceiling = Math.min(
    policy.initialDelayMs * (policy.multiplier ?? 2) ** (retry - 1),
    policy.maxDelayMs,
  );
  const random = (policy.random ?? Math.random)();
  return policy.jitter === 'half' ? Math.round(ceiling * (0.5 + random * 0.5)) : Math.floor(random * ceiling);
}

export interface RetryOptions<T> {
  /** True when the error is transient and the call safe to repeat. */
  shouldRetry: (error: unknown) => boolean;
  /** Stops waiting at once: the pending wait rejects with the signal's reason. */
  signal?: AbortSignal;
  /**
   * Runs after a wait, before the next call; a value it returns is the
   * result (used to find a job whose create response was lost).
   */
  beforeRetry?: (error: unknown) => Promise<T | undefined>;
  /**
   * Shared with the other calls to the same service in one operation: when
   * failures across all of them run unbroken past its bounds, every call
   * stops retrying and throws `FailureBudgetExhausted` (failure-budget.ts).
   */
  budget?: FailureBudget;
}

/**
 * Calls `operation` until it succeeds, `shouldRetry` says no, or attempts run
 * out. The last error is thrown as it is.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  operation: (attempt: number) => Promise<T>,
  options: RetryOptions<T>,
): Promise<T> {
  const wait = policy.sleep ?? sleep;
  for (let attempt = 1; ; attempt++) {
    try {
      const result = await operation(attempt);
      options.budget?.succeeded();
      return result;
    } catch (error) {
      if (error instanceof FailureBudgetExhausted) throw error;
      const retryable = options.shouldRetry(error);
      if (retryable) options.budget?.failed(error);
      if (attempt >= policy.maxAttempts || !retryable) throw error;
      await wait(backoffDelay(policy, attempt), options.signal);
      // Another call may have spent the shared budget while this one waited.
      options.budget?.throwIfExhausted();
      const recovered = await options.beforeRetry?.(error);
      if (recovered !== undefined) return recovered;
    }
  }
}
