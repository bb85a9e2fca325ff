/**
 * When Strato retries a Cloud Storage request, as the service asks of clients
 * (https://cloud.google.com/storage/docs/retry-strategy): only transient
 * failures (408, 429, 5xx, dropped connections), and only for requests that
 * are safe to repeat — the caller says which. The loop is `withRetry`.
 */

import type { RetryPolicy } from '../../internal/retry.ts';

/**
 * The Node client's multiplier (2) and ceiling (64 s), with a shorter first
 * delay: many small parallel uploads recover faster, and six attempts keep a
 * 10,000-object push through a 5% fault rate (0.05^6 per object). Half jitter,
 * as the client library draws it.
 */
export const GCS_RETRY: RetryPolicy = {
  maxAttempts: 6,
  initialDelayMs: 250,
  multiplier: 2,
  maxDelayMs: 64_000,
  jitter: 'half',
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
