/**
 * Provider name → the provider, loaded lazily: `strato explain` or a local
 * run must not load a cloud SDK. Capabilities stay in `capabilities.ts`, so
 * the central fit check runs without loading anything.
 */

import { StratoError } from '../errors.ts';
import type { ProviderName } from '../spec/schema.ts';
import type { Ec2ProviderOptions } from './ec2/index.ts';
import type { GceProviderOptions } from './gce/index.ts';
import type { LocalProviderOptions } from './local/index.ts';
import type { TpuVmProviderOptions } from './tpu-vm/index.ts';
import type { Provider } from './types.ts';
import type { VertexProviderOptions } from './vertex/index.ts';

/** Options for whichever provider is loaded; each reads its own key. */
export interface ProviderOptions {
  /** The environment providers read their endpoints from (e.g. STRATO_VERTEX_ENDPOINT) unless their own options say; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  local?: LocalProviderOptions;
  /** Provider-specific options of other providers (endpoints, credentials). */
  [provider: string]: unknown;
}

export type ProviderLoader = (options: ProviderOptions) => Promise<Provider>;

export const PROVIDER_LOADERS: Readonly<Record<ProviderName, ProviderLoader | undefined>> = {
  local: async (options) => (await import('./local/index.ts')).createLocalProvider(options.local),
  vertex: async (options) =>
    (await import('./vertex/index.ts')).createVertexProvider({
      ...(options.env ? { env: options.env } : {}),
      ...(options.vertex as VertexProviderOptions | undefined),
    }),
  'tpu-vm': async (options) =>
    (await import('./tpu-vm/index.ts')).createTpuVmProvider({
      ...(options.env ? { env: options.env } : {}),
      ...(options['tpu-vm'] as TpuVmProviderOptions | undefined),
    }),
  gce: async (options) =>
    (await import('./gce/index.ts')).createGceProvider({
      ...(options.env ? { env: options.env } : {}),
      ...(options.gce as GceProviderOptions | undefined),
    }),
  ec2: async (options) =>
    (await import('./ec2/index.ts')).createEc2Provider({
      ...(options.env ? { env: options.env } : {}),
      ...(options.ec2 as Ec2ProviderOptions | undefined),
    }),
};

/** The provider called `name`, loaded only when a job needs it (the Vertex client is large). */
export async function loadProvider(name: ProviderName, options: ProviderOptions = {}): Promise<Provider> {
  const loader = PROVIDER_LOADERS[name];
  if (!loader) {
    const available = Object.entries(PROVIDER_LOADERS)
      .filter(([, l]) => l)
      .map(([n]) => n);
    throw new StratoError('E_UNSUPPORTED', `provider "${name}" cannot submit jobs in this version`, {
      hint: `providers that can: ${available.join(', ')}; \`strato explain\` still shows the plan`,
    });
  }
  return loader(options);
}
