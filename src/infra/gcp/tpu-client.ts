/**
 * The Cloud TPU v2 client Strato's TPU driver uses: `@google-cloud/tpu`'s
 * TpuClient over its REST transport (`fallback: true`), loaded on first use.
 *
 * REST rather than the default gRPC because the fake Cloud TPU of
 * `strato fake-cloud` serves REST only (gcloud's protocol), and one protocol
 * for every client keeps the fake honest. `STRATO_TPU_ENDPOINT`
 * (`http://127.0.0.1:PORT` for a fake: plaintext, no credentials) overrides
 * `tpu.googleapis.com`; elsewhere credentials are Application Default
 * Credentials, as for the other Google clients.
 */

import type { TpuClient } from '@google-cloud/tpu/build/src/v2/tpu_client.js';
import { parseEndpoint } from '../../internal/endpoint.ts';

export const TPU_ENDPOINT_ENV = 'STRATO_TPU_ENDPOINT';

export type { TpuClient };

/**
 * An auth client that adds no credentials, for a plaintext fake on loopback:
 * the REST transport calls `fetch` on its auth client (google-auth-library's
 * `AuthClient.fetch` shape), so this one fetches as is.
 */
const ANONYMOUS_AUTH = {
  async getRequestHeaders(): Promise<Headers> {
    return new Headers();
  },
  fetch(url: string, init: RequestInit): Promise<Response> {
    return fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: init.signal });
  },
};

/** Loads the TpuClient class alone (the package index would load v1 and v2alpha1 too). */
async function loadTpuClient(): Promise<typeof TpuClient> {
  const module = (await import('@google-cloud/tpu/build/src/v2/tpu_client.js')) as {
    TpuClient: typeof TpuClient;
  };
  return module.TpuClient;
}

export interface TpuClientOptions {
  /** Where `STRATO_TPU_ENDPOINT` is read; default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** A TpuClient speaking REST to `STRATO_TPU_ENDPOINT`, or to the real service with ADC. */
export async function createTpuClient(options: TpuClientOptions = {}): Promise<TpuClient> {
  const Client = await loadTpuClient();
  const value = (options.env ?? process.env)[TPU_ENDPOINT_ENV];
  const endpoint = value ? parseEndpoint(value, TPU_ENDPOINT_ENV) : undefined;
  if (!endpoint?.tls && endpoint) return anonymousClient(Client, endpoint);
  const client = new Client({
    fallback: true,
    ...(endpoint ? { apiEndpoint: endpoint.host, port: endpoint.port } : {}),
  });
  // Find credentials now: the REST transport rejects a call without them in
  // the background and leaves it pending, so the first call would never end.
  await client.auth.getClient();
  return client;
}

function anonymousClient(Client: typeof TpuClient, endpoint: { host: string; port: number }): TpuClient {
  return new Client({
    fallback: true,
    apiEndpoint: endpoint.host,
    port: endpoint.port,
    protocol: 'http',
    // Plaintext means a fake on loopback: no credentials to find or send.
    authClient: ANONYMOUS_AUTH as never,
  } as ConstructorParameters<typeof TpuClient>[0]);
}
