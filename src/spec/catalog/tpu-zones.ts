/**
 * The zones that offer each Cloud TPU generation, for validating where a
 * TPU slice is asked for before any API call.
 *
 * Source: https://cloud.google.com/tpu/docs/regions-zones (read 2026-12).
 */

import type { TpuGenerationId } from './tpu.ts';

export const TPU_ZONES: Readonly<Record<TpuGenerationId, readonly string[]>> = {
  v2: ['us-central1-b', 'us-central1-c', 'us-central1-f', 'europe-west4-a', 'asia-east1-c'],
  v3: ['us-central1-a', 'us-central1-b', 'us-central1-f', 'europe-west4-a'],
  v4: ['us-central2-b'],
  v5e: ['us-central1-a', 'us-south1-a', 'us-west1-c', 'us-west4-a', 'europe-west4-b'],
  v5p: ['us-central1-a', 'us-east5-a', 'europe-west4-b'],
  v6e: ['us-central1-b', 'us-east1-d', 'us-east5-b', 'europe-west4-a', 'asia-northeast1-b'],
};

/** Every zone that offers some TPU generation. */
export const ALL_TPU_ZONES: readonly string[] = [...new Set(Object.values(TPU_ZONES).flat())].sort();
