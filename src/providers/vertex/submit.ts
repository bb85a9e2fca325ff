/**
 * Idempotent CustomJob creation. A create whose response is lost may still
 * have created the job, so before creating (and before every retry) Strato
 * looks the job up by its labels — the Strato job id and the attempt — and
 * returns the one it finds. A retried submit therefore never runs a job twice.
 */

import { type RetryPolicy, withRetry } from '../../internal/retry.ts';
import type { CustomJobView, VertexApi } from './api.ts';
import { LABEL_ATTEMPT, LABEL_JOB_ID } from './custom-job.ts';
import type { CustomJobBody } from './custom-job-body.ts';
import { isRetryableVertexError, VERTEX_RETRY } from './retry-rules.ts';

/** The ListCustomJobs filter that finds one attempt of one Strato job. */
export function attemptFilter(labels: Record<string, string>): string {
  return `labels.${LABEL_JOB_ID}="${labels[LABEL_JOB_ID]}" AND labels.${LABEL_ATTEMPT}="${labels[LABEL_ATTEMPT]}"`;
}

export async function findSubmitted(api: VertexApi, body: CustomJobBody): Promise<CustomJobView | undefined> {
  const found = await api.list(attemptFilter(body.labels));
  // Several would mean someone created duplicates by hand; the oldest is the one Strato made.
  return found.sort((a, b) => (a.createTime?.getTime() ?? 0) - (b.createTime?.getTime() ?? 0))[0];
}

export async function submitCustomJob(
  api: VertexApi,
  body: CustomJobBody,
  policy: RetryPolicy = VERTEX_RETRY,
): Promise<CustomJobView> {
  const existing = await findSubmitted(api, body);
  if (existing) return existing;
  return withRetry(policy, () => api.createOnce(body), {
    shouldRetry: isRetryableVertexError,
    beforeRetry: () => findSubmitted(api, body),
  });
}
