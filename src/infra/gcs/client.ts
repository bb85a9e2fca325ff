/**
 * The `@google-cloud/storage` client the bucket drivers share, and its
 * errors translated at this edge: missing credentials become one E_AUTH
 * naming `gcloud auth application-default login`; HTTP statuses become the
 * matching StratoError codes, keeping the service's own message.
 */

import type { Storage } from '@google-cloud/storage';
import { StratoError } from '../../errors.ts';
import { resolveGcsEndpoint } from '../../storage/gcs/connect.ts';
import type { DriverOptions } from '../registry.ts';

/**
 * A client whose default project is `projectId`: buckets are created in the
 * client's project (the library has no per-call project for an insert).
 */
export async function createStorageClient(
  options: DriverOptions,
  projectId = 'strato-infra',
): Promise<Storage> {
  const { Storage } = await import('@google-cloud/storage');
  const resolved = resolveGcsEndpoint({
    env: options.env,
    ...(options.endpoints?.storage ? { apiEndpoint: options.endpoints.storage } : {}),
  });
  const client = new Storage({
    apiEndpoint: resolved.endpoint,
    projectId,
    retryOptions: { autoRetry: true, maxRetries: 3, retryDelayMultiplier: 2, totalTimeout: 60 },
  });
  // A custom endpoint (the fake) gets no credentials, as the client does for STORAGE_EMULATOR_HOST.
  // Google's gets them checked first: without, the client would send anonymous requests and retry them.
  if (!resolved.custom) {
    try {
      await client.authClient.getAccessToken();
    } catch (error) {
      throw new StratoError(
        'E_AUTH',
        `no Google Cloud credentials: ${(error as Error).message.split('\n')[0]}`,
        {
          cause: error,
          hint: 'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file',
        },
      );
    }
  }
  return client;
}

const NO_CREDENTIALS =
  /could not load the default credentials|default credentials|invalid_grant|unable to detect a project id/i;

/** The HTTP status of a client error, when it has one. */
export function statusOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** A client error as a StratoError saying what was being done. */
export function storageError(error: unknown, what: string): StratoError {
  if (error instanceof StratoError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const status = statusOf(error);
  if (NO_CREDENTIALS.test(message) || status === 401) {
    return new StratoError('E_AUTH', `${what}: no Google Cloud credentials (${message.split('\n')[0]})`, {
      cause: error,
      hint: 'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file',
    });
  }
  if (status === 403) {
    return new StratoError('E_AUTH', `${what}: permission denied: ${message}`, {
      cause: error,
      hint: 'the account needs roles/storage.admin on the project (or check `gcloud auth application-default login`)',
    });
  }
  if (status === 404) return new StratoError('E_NOT_FOUND', `${what}: ${message}`, { cause: error });
  if (status === 409 || status === 412)
    return new StratoError('E_CONFLICT', `${what}: ${message}`, { cause: error });
  if (status === 429 || (status !== undefined && status >= 500)) {
    return new StratoError('E_TRANSIENT', `${what}: ${message}`, {
      cause: error,
      hint: 'a transient Cloud Storage failure; run the command again',
    });
  }
  if (status === 400) return new StratoError('E_INVALID_REQUEST', `${what}: ${message}`, { cause: error });
  const code = (error as NodeJS.ErrnoException)?.code;
  if (typeof code === 'string' && /^E(CONNREFUSED|CONNRESET|TIMEDOUT|PIPE|AI_AGAIN)|ENOTFOUND/.test(code)) {
    return new StratoError('E_TRANSIENT', `${what}: ${message}`, {
      cause: error,
      hint: 'Cloud Storage could not be reached; check the network (or the endpoint) and run again',
    });
  }
  return new StratoError('E_INTERNAL', `${what}: ${message}`, { cause: error });
}
