/**
 * The fake Cloud TPU API v2 on loopback: nodes, queued resources, operations,
 * accelerator types, runtime versions, guest attributes. REST only — the
 * protocol of gcloud and of the TpuClient's `fallback: true` transport; why
 * no gRPC face is in `server.ts`.
 */

export type { CapacityRule, FakeTpuFaults, HttpFaultRule, QuotaRule, ResourceMatch } from './faults.ts';
export type { GuestAttribute } from './nodes.ts';
export {
  DEFAULT_TPU_TIMING,
  type FakeTpu,
  type FakeTpuOptions,
  type FakeTpuTiming,
  startFakeTpu,
} from './server.ts';

/**
 * Environment that points clients at a fake Cloud TPU: Strato's TPU driver
 * through `STRATO_TPU_ENDPOINT`, gcloud through its endpoint override (the
 * environment form of `gcloud config set api_endpoint_overrides/tpu URL`).
 */
export function fakeTpuEnv(fake: { url: string }): Record<string, string> {
  return {
    STRATO_TPU_ENDPOINT: fake.url.replace(/\/$/, ''),
    CLOUDSDK_API_ENDPOINT_OVERRIDES_TPU: fake.url,
  };
}
