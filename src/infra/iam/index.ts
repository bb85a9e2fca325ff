/**
 * Identities for infra stacks: `ServiceAccount` (new, or existing by email)
 * and the project roles it holds (`ProjectRoleBinding`, from the worker
 * allow-list). Their drivers (`iam.service-account`,
 * `iam.project-role-binding`) speak the IAM and Resource Manager JSON APIs.
 */

export { IAM_ENDPOINT_ENV, RESOURCE_MANAGER_ENDPOINT_ENV } from './iam-api.ts';
export {
  PROJECT_ROLE_BINDING_KIND,
  ProjectRoleBinding,
  type ProjectRoleBindingProps,
} from './project-role-binding.ts';
export {
  ExistingServiceAccount,
  type ExistingServiceAccountPropsInput,
  SERVICE_ACCOUNT_KIND,
  ServiceAccount,
  type ServiceAccountIdentity,
  type ServiceAccountProps,
  type ServiceAccountPropsInput,
} from './service-account.ts';
export { WORKER_ROLES, type WorkerRole } from './worker-roles.ts';
