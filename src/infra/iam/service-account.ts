/**
 * `ServiceAccount`: the identity a stack's VMs and TPU workers run as,
 * with least privilege — a new account (`new ServiceAccount(stack, id, …)`)
 * or an existing one by email (`ServiceAccount.fromEmail(...)`: nothing is
 * created, and it is never deleted), either with project roles from the
 * worker allow-list (`worker-roles.ts`), each a `ProjectRoleBinding`.
 * `GpuVms` and `TpuSlice` take either as `serviceAccount`, and depend on it
 * and its roles, so the machines start once their identity can act.
 *
 * ```ts
 * const sa = new ServiceAccount(stack, 'trainer', { roles: ['roles/logging.logWriter'] });
 * new BucketIamBinding(stack, 'data-access', { bucket, role: 'roles/storage.objectUser', members: [sa] });
 * new GpuVms(stack, 'workers', { …, serviceAccount: sa });
 * ```
 */

import { createHash } from 'node:crypto';
import { Construct } from 'constructs';
import { z } from 'zod';
import type { SpecIssue } from '../../errors.ts';
import { SpecError } from '../../errors.ts';
import { toSpecIssues } from '../../spec/issues.ts';
import { InfraResource, type Stack } from '../construct.ts';
import { validateProps } from '../props.ts';
import { PROJECT_ROLE_BINDING_KIND, ProjectRoleBinding, roleBindingId } from './project-role-binding.ts';
import { workerRoleIssues } from './worker-roles.ts';

export const SERVICE_ACCOUNT_KIND = 'iam.service-account';
/** IAM's rule for account ids (projects.serviceAccounts.create): 6–30 characters. */
export const ACCOUNT_ID = /^[a-z]([-a-z0-9]*[a-z0-9])$/;
const ACCOUNT_ID_RULE = '6-30 lowercase letters, digits and -, starting with a letter, not ending with -';
/** A service account's email: `NAME@PROJECT.iam.gserviceaccount.com`, or a Google-managed one. */
const SERVICE_ACCOUNT_EMAIL = /^[a-z0-9][-a-z0-9._]*@[-a-z0-9.]+\.gserviceaccount\.com$/;

const RolesSchema = z
  .array(z.string().min(1))
  .default([])
  .describe('Project roles for the account, from the worker allow-list (see WORKER_ROLES).');

export const ServiceAccountPropsSchema = z.strictObject({
  accountId: z
    .string()
    .optional()
    .describe(`The email's name part (${ACCOUNT_ID_RULE}); default from the stack and id.`),
  displayName: z.string().max(100).optional().describe('Shown in the console; ≤ 100 characters.'),
  description: z
    .string()
    .max(200)
    .optional()
    .describe('≤ 200 characters (IAM allows 256; Strato appends its stack mark).'),
  project: z.string().min(1).optional().describe("Project of the account; default the stack's."),
  roles: RolesSchema,
});

export const ExistingServiceAccountPropsSchema = z.strictObject({
  email: z
    .string()
    .regex(
      SERVICE_ACCOUNT_EMAIL,
      'must be a service account email, e.g. NAME@PROJECT.iam.gserviceaccount.com',
    )
    .describe('The existing account; never created or deleted by the stack.'),
  project: z.string().min(1).optional().describe("Project the roles are granted on; default the stack's."),
  roles: RolesSchema,
});

export type ServiceAccountPropsInput = z.input<typeof ServiceAccountPropsSchema>;
export type ExistingServiceAccountPropsInput = z.input<typeof ExistingServiceAccountPropsSchema>;

/** What the `iam.service-account` driver receives. */
export interface ServiceAccountProps {
  project: string;
  accountId: string;
  email: string;
  displayName?: string;
  description?: string;
}

/** What a machine construct takes as `serviceAccount`: a new or an existing account. */
export interface ServiceAccountIdentity {
  readonly email: string;
  /** `serviceAccount:EMAIL`, for IAM bindings. */
  readonly member: string;
  /** Its project role bindings. */
  readonly roleBindings: readonly ProjectRoleBinding[];
}

const IDENTITY_BRAND = Symbol.for('strato.infra.ServiceAccountIdentity');

/** True for a `ServiceAccount` or `ServiceAccount.fromEmail(...)` (also across two copies of this module). */
export function isServiceAccountIdentity(value: unknown): value is ServiceAccountIdentity & Construct {
  return (
    value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[IDENTITY_BRAND] === true
  );
}

/** The resources a machine running as `identity` waits for: the account (when the stack makes it) and its roles. */
export function identityDependencies(identity: ServiceAccountIdentity & Construct): Construct[] {
  return [...(identity instanceof InfraResource ? [identity] : []), ...identity.roleBindings];
}

/** A default account id from the stack's name and the resource id: IAM's rule, a short hash when cut. */
export function defaultAccountId(stack: string, id: string): string {
  const slug = `${stack}-${id}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '');
  const hash = createHash('sha256').update(`${stack}/${id}`).digest('hex').slice(0, 6);
  if (slug.length > 30) return `${slug.slice(0, 23).replace(/-+$/, '')}-${hash}`;
  if (slug.length < 6) return `${slug || 'sa'}-${hash}`;
  return slug;
}

function grantRoles(
  scope: Construct,
  project: string,
  member: string,
  roles: readonly string[],
): ProjectRoleBinding[] {
  return [...new Set(roles)].map(
    (role) => new ProjectRoleBinding(scope, roleBindingId(role), { project, role, member }),
  );
}

function accountIdIssues(accountId: string | undefined): SpecIssue[] {
  if (
    accountId === undefined ||
    (accountId.length >= 6 && accountId.length <= 30 && ACCOUNT_ID.test(accountId))
  )
    return [];
  return [
    {
      path: 'accountId',
      message: `must be ${ACCOUNT_ID_RULE}`,
      received: accountId,
      fix: 'e.g. accountId: "trainer-workers", or leave it out for a name made from the stack and id',
    },
  ];
}

export class ServiceAccount extends InfraResource<ServiceAccountProps> implements ServiceAccountIdentity {
  readonly kind = SERVICE_ACCOUNT_KIND;
  readonly roleBindings: readonly ProjectRoleBinding[];

  /** An existing account by email: nothing is created or deleted; `roles` are granted to it. */
  static fromEmail(
    scope: Construct,
    id: string,
    email: string,
    options: Omit<ExistingServiceAccountPropsInput, 'email'> = {},
  ): ExistingServiceAccount {
    return new ExistingServiceAccount(scope, id, { ...options, email });
  }

  constructor(scope: Construct, id: string, props: ServiceAccountPropsInput = {}) {
    super(scope, id, {} as ServiceAccountProps);
    Object.defineProperty(this, IDENTITY_BRAND, { value: true });
    const stack = this.node.root as Stack;
    const parsed = validateProps(ServiceAccountPropsSchema, props, this.resourceId, (p) => [
      ...accountIdIssues(p?.accountId),
      ...workerRoleIssues(p?.roles ?? []),
    ]);
    const project = parsed.project ?? stack.props.project;
    const accountId = parsed.accountId ?? defaultAccountId(stack.stackName, this.resourceId);
    (this as { props: ServiceAccountProps }).props = {
      project,
      accountId,
      email: `${accountId}@${project}.iam.gserviceaccount.com`,
      ...(parsed.displayName ? { displayName: parsed.displayName } : {}),
      ...(parsed.description ? { description: parsed.description } : {}),
    };
    this.roleBindings = grantRoles(this, stack.props.project, this.member, parsed.roles);
    for (const binding of this.roleBindings) binding.node.addDependency(this);
  }

  get email(): string {
    return this.props.email;
  }

  get member(): string {
    return `serviceAccount:${this.props.email}`;
  }
}

/** An account that exists outside the stack, with the roles the stack grants it. Not a resource itself. */
export class ExistingServiceAccount extends Construct implements ServiceAccountIdentity {
  readonly email: string;
  readonly roleBindings: readonly ProjectRoleBinding[];

  constructor(scope: Construct, id: string, props: ExistingServiceAccountPropsInput) {
    super(scope, id);
    Object.defineProperty(this, IDENTITY_BRAND, { value: true });
    const where = this.node.path.split('/').slice(1).join('/');
    const parsed = ExistingServiceAccountPropsSchema.safeParse(props, { reportInput: true });
    const roles = Array.isArray(props?.roles) ? props.roles.filter((r) => typeof r === 'string') : [];
    // zod's problems and the allow-list's together: every problem at once.
    const issues = [
      ...(parsed.success ? [] : toSpecIssues(parsed.error.issues, ExistingServiceAccountPropsSchema, props)),
      ...workerRoleIssues(roles),
    ];
    if (!parsed.success || issues.length > 0) {
      throw new SpecError(
        issues.map((issue) => ({ ...issue, path: issue.path === '' ? where : `${where}.${issue.path}` })),
        where,
      );
    }
    this.email = parsed.data.email;
    const stack = this.node.root as Stack;
    this.roleBindings = grantRoles(
      this,
      parsed.data.project ?? stack.props.project,
      this.member,
      parsed.data.roles,
    );
  }

  get member(): string {
    return `serviceAccount:${this.email}`;
  }
}

export { PROJECT_ROLE_BINDING_KIND };
