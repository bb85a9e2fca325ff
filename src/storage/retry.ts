/**
 * Retries with exponential backoff and jitter, as Cloud Storage asks of
 * clients (https://cloud.google.com/storage/docs/retry-strategy): only
 * transient failures (408, 429, 5xx, dropped connections), and only for
 * requests that are safe to repeat — the caller says which.
 */

import { setTimeout as sleep } from 'node:timers/promises';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay before the first retry; later ones multiply it. */
  initialDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
}

/**
 * The Node client's multiplier (2) and ceiling (64 s), with a shorter first
 * delay: many small parallel uploads recover faster, and six attempts keep a
 * 10,000-object push through a 5% fault rate (0.05^6 per object).
 */
export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  initialDelayMs: 250,
  multiplier: 2,
  maxDelayMs: 64_000,
};

/** Statuses Cloud Storage documents as retryable. */
const RETRYABLE_STATUS = new Set([408, 429, 500, 502, 503, 504]);

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUS.has(status);
}

/** A dropped or refused connection, or a timeout: the request may or may not have been applied. */
export function isNetworkError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && RETRYABLE_CODES.has(code)) return true;
  return error instanceof Error && /socket hang up|aborted/i.test(error.message);
}

/** Delay before retry number `retry` (1 for the first retry): exponential with up to 50% jitter. */
export function backoffDelay(policy: RetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.initialDelayMs * policy.multiplier ** (retry - 1), policy.maxDelayMs);
  return Math.round(base * (0.5 + random() * 0.5));
}

/**
 * Runs `attempt` until it succeeds, `shouldRetry` says no, or attempts run out.
 * The last error is thrown as it is.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  attempt: (attemptNumber: number) => Promise<T>,
  shouldRetry: (error: unknown) => boolean,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      if (n >= policy.maxAttempts || !shouldRetry(error)) throw error;
      await sleep(backoffDelay(policy, n));
    }
  }
}
