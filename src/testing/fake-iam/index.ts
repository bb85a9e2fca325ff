/** The fake IAM (service accounts) and Resource Manager (project IAM policy) over their JSON APIs on loopback. */

import { IAM_ENDPOINT_ENV, RESOURCE_MANAGER_ENDPOINT_ENV } from '../../infra/iam/iam-api.ts';

export { ACCOUNT_ID, accountEmail, type ServiceAccount, ServiceAccounts } from './accounts.ts';
export { type Binding, type Policy, PROJECT_OWNER, ProjectPolicies } from './policies.ts';
export { type FakeIam, type FakeIamOptions, startFakeIam } from './server.ts';

/**
 * Environment that points clients at a fake IAM: Strato through its two
 * endpoint variables, gcloud through its endpoint overrides (the same as
 * `gcloud config set api_endpoint_overrides/iam URL` and `/cloudresourcemanager URL`).
 */
export function fakeIamEnv(fake: { endpoint: string; restUrl: string }): Record<string, string> {
  return {
    [IAM_ENDPOINT_ENV]: fake.endpoint,
    [RESOURCE_MANAGER_ENDPOINT_ENV]: fake.endpoint,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_IAM: fake.restUrl,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_CLOUDRESOURCEMANAGER: fake.restUrl,
  };
}
