/**
 * When Strato retries a Vertex AI call: only errors the edge translation
 * (errors.ts) marked `retryable`, and never a create (a retried create could
 * run the job twice; submit.ts finds a lost one instead). The loop is `withRetry`.
 */

import { StratoError } from '../../errors.ts';
import type { RetryPolicy } from '../../internal/retry.ts';

/** Five calls over ~30 s at worst: long enough for a blip, short enough for a terminal. Full jitter. */
export const VERTEX_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 1000, maxDelayMs: 16_000 };

export function isRetryableVertexError(error: unknown): boolean {
  return error instanceof StratoError && error.retryable;
}
