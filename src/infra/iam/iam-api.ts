/**
 * A small client of the two JSON APIs the IAM drivers use, over fetch:
 * IAM v1 service accounts (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts)
 * and Resource Manager v3's project IAM policy
 * (https://cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy).
 * No Google IAM client library is a dependency; the access token comes from
 * the auth client `@google-cloud/storage` carries (Application Default
 * Credentials). An `http://` endpoint (STRATO_IAM_ENDPOINT,
 * STRATO_RESOURCE_MANAGER_ENDPOINT: a fake on loopback) gets no credentials.
 *
 * Errors are translated at this edge; reads and idempotent writes are
 * retried when transient. `updatePolicy` is the read-modify-write the
 * policy's etag protects: a concurrent change (409 ABORTED) reads again.
 */

import { StratoError } from '../../errors.ts';
import { parseEndpoint } from '../../internal/endpoint.ts';
import { type RetryPolicy, withRetry } from '../../internal/retry.ts';

export const IAM_ENDPOINT_ENV = 'STRATO_IAM_ENDPOINT';
export const RESOURCE_MANAGER_ENDPOINT_ENV = 'STRATO_RESOURCE_MANAGER_ENDPOINT';

/** Five calls over ~15 s at worst, as the Compute client. */
const IAM_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 8000 };
const AUTH_HINT =
  'run `gcloud auth application-default login`, or set GOOGLE_APPLICATION_CREDENTIALS to a key file';

export interface ServiceAccountJson {
  name: string;
  projectId: string;
  uniqueId: string;
  email: string;
  displayName?: string;
  description?: string;
  disabled?: boolean;
}

export interface PolicyBinding {
  role: string;
  members: string[];
  condition?: unknown;
}

export interface IamPolicy {
  version?: number;
  etag?: string;
  bindings?: PolicyBinding[];
}

export interface IamApiOptions {
  env?: NodeJS.ProcessEnv;
  /** By service: `iam`, `resourcemanager`; else the env variables, else Google's. */
  endpoints?: Partial<Record<string, string>>;
  retry?: RetryPolicy;
}

export interface IamApi {
  /** Undefined when there is no such account. */
  getAccount(project: string, email: string): Promise<ServiceAccountJson | undefined>;
  listAccounts(project: string): Promise<ServiceAccountJson[]>;
  createAccount(
    project: string,
    accountId: string,
    fields: { displayName?: string; description?: string },
  ): Promise<ServiceAccountJson>;
  patchAccount(
    project: string,
    email: string,
    fields: { displayName?: string; description?: string },
  ): Promise<ServiceAccountJson>;
  /** Already gone is success. */
  deleteAccount(project: string, email: string): Promise<void>;
  getPolicy(project: string): Promise<IamPolicy>;
  /** Reads the policy, applies `change` (undefined: nothing to do) and writes it with the etag read; again on a concurrent change. */
  updatePolicy(project: string, change: (policy: IamPolicy) => IamPolicy | undefined): Promise<IamPolicy>;
}

class HttpError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

function translate(error: unknown, action: string): StratoError {
  if (error instanceof StratoError) return error;
  if (!(error instanceof HttpError)) {
    return new StratoError('E_TRANSIENT', `${action}: ${(error as Error).message}`, {
      cause: error,
      hint: 'the IAM API could not be reached; check the network (or the endpoint) and run again',
    });
  }
  const what = `${action}: ${error.message}`;
  if (error.status === 401)
    return new StratoError('E_AUTH', `${action}: no valid Google Cloud credentials`, {
      cause: error,
      hint: AUTH_HINT,
    });
  if (error.status === 403) {
    return new StratoError('E_AUTH', `${what} (permission denied)`, {
      cause: error,
      hint: 'the deploying account needs roles/iam.serviceAccountAdmin and roles/resourcemanager.projectIamAdmin on the project',
    });
  }
  if (error.status === 404) return new StratoError('E_NOT_FOUND', what, { cause: error });
  if (error.status === 409 && error.reason === 'ABORTED')
    return new StratoError('E_CONFLICT', what, { cause: error, retryable: true });
  if (error.status === 409) return new StratoError('E_CONFLICT', what, { cause: error });
  if (error.status === 400) return new StratoError('E_INVALID_REQUEST', what, { cause: error });
  if (error.status === 429 || error.status >= 500)
    return new StratoError('E_TRANSIENT', what, {
      cause: error,
      hint: 'a transient IAM failure; run the command again',
    });
  return new StratoError('E_INTERNAL', what, { cause: error });
}

function baseOf(configured: string | undefined, source: string, google: string) {
  return configured
    ? parseEndpoint(configured, source)
    : { tls: true, host: google, port: 443, url: `https://${google}` };
}

export function createIamApi(options: IamApiOptions = {}): IamApi {
  const env = options.env ?? process.env;
  const iam = baseOf(
    options.endpoints?.iam ?? env[IAM_ENDPOINT_ENV],
    options.endpoints?.iam ? 'the iam endpoint' : IAM_ENDPOINT_ENV,
    'iam.googleapis.com',
  );
  const manager = baseOf(
    options.endpoints?.resourcemanager ?? env[RESOURCE_MANAGER_ENDPOINT_ENV],
    options.endpoints?.resourcemanager ? 'the resourcemanager endpoint' : RESOURCE_MANAGER_ENDPOINT_ENV,
    'cloudresourcemanager.googleapis.com',
  );
  const retry = options.retry ?? IAM_RETRY;
  let token: Promise<() => Promise<string>> | undefined;

  /** A bearer token from Application Default Credentials, for Google's TLS endpoints only. */
  async function authorization(tls: boolean): Promise<Record<string, string>> {
    if (!tls) return {};
    token ??= (async () => {
      const { Storage } = await import('@google-cloud/storage');
      const auth = new Storage().authClient;
      return async () => {
        try {
          const value = await auth.getAccessToken();
          if (!value) throw new Error('no access token');
          return value;
        } catch (error) {
          throw new StratoError(
            'E_AUTH',
            `no Google Cloud credentials: ${(error as Error).message.split('\n')[0]}`,
            {
              cause: error,
              hint: AUTH_HINT,
            },
          );
        }
      };
    })();
    return { authorization: `Bearer ${await (await token)()}` };
  }

  async function request<T>(
    base: { tls: boolean; url: string },
    method: string,
    path: string,
    action: string,
    body?: unknown,
  ): Promise<T> {
    return withRetry(
      retry,
      async () => {
        try {
          const response = await fetch(`${base.url}/${path}`, {
            method,
            headers: {
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
              ...(await authorization(base.tls)),
            },
            ...(body === undefined ? {} : { body: JSON.stringify(body) }),
          });
          const text = await response.text();
          const parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
          if (!response.ok) {
            const error = (parsed.error ?? {}) as { message?: string; status?: string };
            throw new HttpError(
              response.status,
              error.status ?? '',
              error.message ?? `HTTP ${response.status}`,
            );
          }
          return parsed as T;
        } catch (error) {
          throw translate(error, action);
        }
      },
      // Every call here is safe to repeat: reads, creates of a named account (a repeat is ALREADY_EXISTS), deletes.
      { shouldRetry: (error) => error instanceof StratoError && error.code === 'E_TRANSIENT' },
    );
  }

  const accountPath = (project: string, email: string) =>
    `v1/projects/${encodeURIComponent(project)}/serviceAccounts/${encodeURIComponent(email)}`;

  const api: IamApi = {
    async getAccount(project, email) {
      try {
        return await request<ServiceAccountJson>(
          iam,
          'GET',
          accountPath(project, email),
          `reading service account ${email}`,
        );
      } catch (error) {
        if ((error as StratoError).code === 'E_NOT_FOUND') return undefined;
        throw error;
      }
    },
    async listAccounts(project) {
      const accounts: ServiceAccountJson[] = [];
      let pageToken: string | undefined;
      do {
        const query = `pageSize=100${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`;
        const page = await request<{ accounts?: ServiceAccountJson[]; nextPageToken?: string }>(
          iam,
          'GET',
          `v1/projects/${encodeURIComponent(project)}/serviceAccounts?${query}`,
          `listing the service accounts of project ${project}`,
        );
        accounts.push(...(page.accounts ?? []));
        pageToken = page.nextPageToken || undefined;
      } while (pageToken);
      return accounts;
    },
    createAccount(project, accountId, fields) {
      return request(
        iam,
        'POST',
        `v1/projects/${encodeURIComponent(project)}/serviceAccounts`,
        `creating service account ${accountId} in project ${project}`,
        {
          accountId,
          serviceAccount: fields,
        },
      );
    },
    patchAccount(project, email, fields) {
      return request(iam, 'PATCH', accountPath(project, email), `updating service account ${email}`, {
        serviceAccount: { displayName: fields.displayName ?? '', description: fields.description ?? '' },
        updateMask: 'displayName,description',
      });
    },
    async deleteAccount(project, email) {
      try {
        await request(iam, 'DELETE', accountPath(project, email), `deleting service account ${email}`);
      } catch (error) {
        if ((error as StratoError).code !== 'E_NOT_FOUND') throw error;
      }
    },
    getPolicy(project) {
      return request(
        manager,
        'POST',
        `v3/projects/${encodeURIComponent(project)}:getIamPolicy`,
        `reading the IAM policy of project ${project}`,
        {
          options: { requestedPolicyVersion: 3 },
        },
      );
    },
    updatePolicy(project, change) {
      return withRetry(
        retry,
        async () => {
          const current = await api.getPolicy(project);
          const next = change(current);
          if (!next) return current;
          return request<IamPolicy>(
            manager,
            'POST',
            `v3/projects/${encodeURIComponent(project)}:setIamPolicy`,
            `setting the IAM policy of project ${project}`,
            { policy: { ...next, etag: current.etag, version: Math.max(current.version ?? 1, 1) } },
          );
        },
        // A concurrent change (the etag we read is stale): read, change and write again. And an
        // account made a moment ago may not be visible to IAM policies yet (creation is eventually
        // consistent: https://cloud.google.com/iam/docs/service-accounts-create#creating).
        {
          shouldRetry: (error) =>
            error instanceof StratoError &&
            (error.retryable ||
              (error.code === 'E_INVALID_REQUEST' &&
                /service account .* does not exist/i.test(error.message))),
        },
      );
    },
  };
  return api;
}
