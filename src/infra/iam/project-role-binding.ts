/**
 * `ProjectRoleBinding`: one member holding one role on a project. It is not
 * authoritative (as Terraform's `google_project_iam_member`): deploy adds
 * the member to the role's binding, destroy removes that member only, and
 * every other member and role of the project policy is left alone. A stack
 * makes these through a service account's `roles` (`ServiceAccount`,
 * `ServiceAccount.fromEmail`), restricted to the worker allow-list.
 */

import type { Construct } from 'constructs';
import { SpecError } from '../../errors.ts';
import { InfraResource } from '../construct.ts';
import { workerRoleIssues } from './worker-roles.ts';

export const PROJECT_ROLE_BINDING_KIND = 'iam.project-role-binding';

export interface ProjectRoleBindingProps {
  project: string;
  role: string;
  /** `serviceAccount:EMAIL`. */
  member: string;
}

export class ProjectRoleBinding extends InfraResource<ProjectRoleBindingProps> {
  readonly kind = PROJECT_ROLE_BINDING_KIND;

  constructor(scope: Construct, id: string, props: ProjectRoleBindingProps) {
    super(scope, id, props);
    const issues = workerRoleIssues([props.role]).map((issue) => ({
      ...issue,
      path: `${this.resourceId}.role`,
    }));
    if (issues.length > 0) throw new SpecError(issues, this.resourceId);
  }
}

/** The construct id of a role's binding under its account: `logging.logWriter`. */
export function roleBindingId(role: string): string {
  return role.replace(/^roles\//, '');
}
