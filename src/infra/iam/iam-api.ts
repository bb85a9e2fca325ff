/**
 * The two JSON APIs the IAM drivers use (over `../google-json-api.ts`):
 * IAM v1 service accounts (https://cloud.google.com/iam/docs/reference/rest/v1/projects.serviceAccounts)
 * and Resource Manager v3's project IAM policy
 * (https://cloud.google.com/resource-manager/reference/rest/v3/projects/getIamPolicy).
 * No Google IAM client library is a dependency. An `http://` endpoint
 * (STRATO_IAM_ENDPOINT, STRATO_RESOURCE_MANAGER_ENDPOINT: a fake on
 * loopback) gets no credentials. `updatePolicy` is the read-modify-write the
 * policy's etag protects: a concurrent change (409 ABORTED) reads again.
 */

import { StratoError } from '../../errors.ts';
import { type RetryPolicy, withRetry } from '../../internal/retry.ts';
import { createJsonApi, JSON_API_RETRY, jsonApiEndpoint } from '../google-json-api.ts';

export const IAM_ENDPOINT_ENV = 'STRATO_IAM_ENDPOINT';
export const RESOURCE_MANAGER_ENDPOINT_ENV = 'STRATO_RESOURCE_MANAGER_ENDPOINT';

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

export function createIamApi(options: IamApiOptions = {}): IamApi {
  const env = options.env ?? process.env;
  const permissionHint =
    'the deploying account needs roles/iam.serviceAccountAdmin and roles/resourcemanager.projectIamAdmin on the project';
  const retry = options.retry ?? JSON_API_RETRY;
  const iam = createJsonApi({
    endpoint: jsonApiEndpoint(
      options.endpoints?.iam ?? env[IAM_ENDPOINT_ENV],
      options.endpoints?.iam ? 'the iam endpoint' : IAM_ENDPOINT_ENV,
      'iam.googleapis.com',
    ),
    service: 'the IAM API',
    permissionHint,
    retry,
  });
  const manager = createJsonApi({
    endpoint: jsonApiEndpoint(
      options.endpoints?.resourcemanager ?? env[RESOURCE_MANAGER_ENDPOINT_ENV],
      options.endpoints?.resourcemanager ? 'the resourcemanager endpoint' : RESOURCE_MANAGER_ENDPOINT_ENV,
      'cloudresourcemanager.googleapis.com',
    ),
    service: 'the Resource Manager API',
    permissionHint,
    retry,
  });
  const request = <T>(api: typeof iam, method: string, path: string, action: string, body?: unknown) =>
    api.request<T>(method, path, action, body);

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
