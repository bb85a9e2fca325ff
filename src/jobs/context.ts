/**
 * What every lifecycle entry point needs: where the job store is, the
 * environment, and the provider of a job (loaded by name, or the one given).
 */

import { stratoHome } from '../internal/home.ts';
import { loadProvider, type ProviderOptions } from '../providers/registry.ts';
import type { Provider } from '../providers/types.ts';
import { createJobStore, type JobRecord, type JobStore } from './store.ts';

export interface JobsOptions {
  /** Where records live; default `$STRATO_HOME` or `~/.strato`. */
  home?: string;
  /** Environment of replicas (local) and of `STRATO_HOME`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** Options handed to the provider when it is loaded. */
  providerOptions?: ProviderOptions;
  /** Use this provider object instead of loading one by name (tests, embedding). */
  provider?: Provider;
  /** Use this job store instead of the one under `home` (a `Job` passes its own). */
  store?: JobStore;
}

interface Context {
  home: string;
  env: NodeJS.ProcessEnv;
  store: JobStore;
}

export function contextOf(options: JobsOptions): Context {
  const env = options.env ?? process.env;
  const home = options.home ?? stratoHome(env);
  return { home, env, store: options.store ?? createJobStore(home) };
}

export async function providerFor(
  record: Pick<JobRecord, 'provider'>,
  options: JobsOptions,
): Promise<Provider> {
  // The caller's environment (the CLI's, a test's), not this process's, names the provider's endpoints.
  return (
    options.provider ??
    loadProvider(record.provider, { env: contextOf(options).env, ...options.providerOptions })
  );
}
