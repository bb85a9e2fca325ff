/**
 * Endpoint and credentials for gs://, decided the way `@google-cloud/storage`
 * decides them: `STORAGE_EMULATOR_HOST`, overridden by an explicit
 * `apiEndpoint`; no credentials on a custom endpoint unless
 * `useAuthWithCustomEndpoint`; otherwise the client library's own auth
 * (Application Default Credentials, token caching and refresh). The library
 * is imported only when credentials or its own transport are needed.
 */

import type { Storage } from '@google-cloud/storage';
import { StratoError } from '../../errors.ts';
import { parseEndpoint } from '../../internal/endpoint.ts';

export interface GcsConnectOptions {
  /** JSON API endpoint, e.g. a fake's `http://127.0.0.1:PORT`. Default: STORAGE_EMULATOR_HOST, else the real service. */
  apiEndpoint?: string;
  projectId?: string;
  /** Service-account key file; default: Application Default Credentials. */
  keyFilename?: string;
  /** Send credentials to a custom endpoint too (a private or regional endpoint, not an emulator). */
  useAuthWithCustomEndpoint?: boolean;
  /** Where STORAGE_EMULATOR_HOST is read from; default process.env. */
  env?: NodeJS.ProcessEnv;
}

const DEFAULT_ENDPOINT = 'https://storage.googleapis.com';

export interface ResolvedEndpoint {
  endpoint: string;
  /** Not Google's own service: no credentials unless asked for. */
  custom: boolean;
}

export function resolveGcsEndpoint(options: GcsConnectOptions = {}): ResolvedEndpoint {
  const env = options.env ?? process.env;
  const configured = options.apiEndpoint ?? env.STORAGE_EMULATOR_HOST;
  if (!configured) return { endpoint: DEFAULT_ENDPOINT, custom: false };
  const source = options.apiEndpoint
    ? 'the storage endpoint (--endpoint, apiEndpoint)'
    : 'STORAGE_EMULATOR_HOST';
  // Some emulator docs set STORAGE_EMULATOR_HOST with the JSON API path; the path is added per request here.
  const { url, host } = parseEndpoint(
    configured
      .trim()
      .replace(/\/+$/, '')
      .replace(/\/storage\/v1$/, ''),
    source,
  );
  return { endpoint: url, custom: !(host === 'googleapis.com' || host.endsWith('.googleapis.com')) };
}

/** Creates the stock client lazily, once. */
export function lazyStorageClient(
  options: GcsConnectOptions,
  resolved: ResolvedEndpoint,
): () => Promise<Storage> {
  let client: Promise<Storage> | undefined;
  return () => {
    client ??= import('@google-cloud/storage').then(
      ({ Storage }) =>
        new Storage({
          apiEndpoint: resolved.endpoint,
          ...(options.projectId ? { projectId: options.projectId } : {}),
          ...(options.keyFilename ? { keyFilename: options.keyFilename } : {}),
          ...(options.useAuthWithCustomEndpoint ? { useAuthWithCustomEndpoint: true } : {}),
        }),
    );
    return client;
  };
}

/** Request headers carrying credentials; empty for an emulator. */
export function authHeadersFor(
  options: GcsConnectOptions,
  resolved: ResolvedEndpoint,
  storage: () => Promise<Storage>,
): () => Promise<Record<string, string>> {
  if (resolved.custom && !options.useAuthWithCustomEndpoint) return async () => ({});
  return async () => {
    try {
      const client = await storage();
      // google-auth-library 10 (storage 8) returns a fetch `Headers`; plain pairs for our transport.
      return Object.fromEntries(await client.authClient.getRequestHeaders());
    } catch (error) {
      throw new StratoError('E_AUTH', `no Google Cloud credentials: ${(error as Error).message}`, {
        cause: error,
        hint: 'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file',
      });
    }
  };
}
