/** The fake Compute Engine: networks, firewalls, VMs and operations over the v1 JSON API on loopback. */

import { COMPUTE_ENDPOINT_ENV } from '../../infra/gcp/compute-api.ts';

export type { FakeComputeFaults, QuotaRule, StockoutRule } from './faults.ts';
export { type FakeCompute, type FakeComputeOptions, startFakeCompute } from './server.ts';
/** The environment variable Strato reads for the Compute Engine endpoint (`http://` = plaintext, no credentials). */
export { COMPUTE_ENDPOINT_ENV };

/**
 * Environment that points clients at a fake Compute Engine: Strato through
 * `STRATO_COMPUTE_ENDPOINT`, gcloud through its endpoint override
 * (`gcloud config set api_endpoint_overrides/compute URL` is the same setting).
 */
export function fakeComputeEnv(fake: { endpoint: string; restUrl: string }): Record<string, string> {
  return {
    [COMPUTE_ENDPOINT_ENV]: fake.endpoint,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: fake.restUrl,
    // The fake's VMs share one loopback network: each replica needs its own TensorFlow port (gce provider).
    STRATO_GCE_PORTS: 'distinct',
  };
}
