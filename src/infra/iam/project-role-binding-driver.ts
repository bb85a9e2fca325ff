/**
 * The `iam.project-role-binding` driver: one member in one role of a
 * project's IAM policy, changed by read-modify-write with the policy's
 * etag (a concurrent change is read again, never overwritten). Reads take
 * one policy per project. A binding is the stack's when its member is a
 * service account carrying the stack's mark; a role an existing account
 * held before the stack granted it is not taken over (`strato infra import`).
 */

import { StratoError } from '../../errors.ts';
import { diffFields } from '../diff.ts';
import { readMark } from '../gcp/naming.ts';
import type { DriverOptions } from '../registry.ts';
import type { ActualResource, CloudRef, DesiredResource, DriverContext, ResourceDriver } from '../types.ts';
import type { IamPolicy } from './iam-api.ts';
import { PROJECT_ROLE_BINDING_KIND, type ProjectRoleBindingProps } from './project-role-binding.ts';
import { lazyIamApi } from './service-account-driver.ts';

const SERVICE_ACCOUNT_MEMBER = /^serviceAccount:[^@]+@([^.]+)\.iam\.gserviceaccount\.com$/;

/** The role's unconditional binding (a conditional one grants something else). */
function holds(policy: IamPolicy, role: string, member: string): boolean {
  return (policy.bindings ?? []).some(
    (binding) => binding.role === role && !binding.condition && binding.members.includes(member),
  );
}

function withMember(policy: IamPolicy, role: string, member: string, present: boolean): IamPolicy {
  const bindings = (policy.bindings ?? []).map((binding) => {
    if (binding.role !== role || binding.condition) return binding;
    const members = binding.members.filter((m) => m !== member);
    return { ...binding, members: present ? [...members, member] : members };
  });
  if (present && !bindings.some((b) => b.role === role && !b.condition))
    bindings.push({ role, members: [member] });
  return { ...policy, bindings: bindings.filter((binding) => binding.members.length > 0) };
}

function refOf(props: ProjectRoleBindingProps): CloudRef {
  return {
    project: props.project,
    location: 'global',
    name: `${props.project}/${props.role}/${props.member}`,
    role: props.role,
    member: props.member,
  };
}

function actualOf(ref: CloudRef, stackLabel: string | undefined): ActualResource<ProjectRoleBindingProps> {
  const props = { project: ref.project, role: ref.role as string, member: ref.member as string };
  return { ref, props, outputs: { ...props }, ...(stackLabel ? { stackLabel } : {}) };
}

export function createProjectRoleBindingDriver(
  options: DriverOptions,
): ResourceDriver<ProjectRoleBindingProps> {
  const api = lazyIamApi(options);

  /** The stack marks of the member accounts, by member, one account list per project named. */
  async function ownersOf(members: readonly string[]): Promise<Map<string, string>> {
    const projects = [
      ...new Set(members.map((m) => SERVICE_ACCOUNT_MEMBER.exec(m)?.[1]).filter(Boolean)),
    ] as string[];
    const listed = await Promise.all(
      projects.map((project) =>
        api()
          .listAccounts(project)
          // An existing account may live in a project the deployer cannot list: then it is not the stack's.
          .catch((error: StratoError) => {
            if (error.code === 'E_AUTH' || error.code === 'E_NOT_FOUND') return [];
            throw error;
          }),
      ),
    );
    const owners = new Map<string, string>();
    for (const account of listed.flat()) {
      const stack = readMark(account.description).mark?.stack;
      if (stack) owners.set(`serviceAccount:${account.email}`, stack);
    }
    return owners;
  }

  async function grant(resource: DesiredResource<ProjectRoleBindingProps>, context: DriverContext) {
    const { project, role, member } = resource.props;
    const owner = (await ownersOf([member])).get(member);
    await api().updatePolicy(project, (policy) => {
      if (!holds(policy, role, member)) return withMember(policy, role, member, true);
      if (owner === context.stack) return undefined;
      throw new StratoError(
        'E_CONFLICT',
        `${member} holds ${role} on project ${project} already, granted outside stack ${context.stack}`,
        {
          hint: `adopt the grant with \`strato infra import ${resource.id}\` (destroy then revokes it), or remove the role from the stack`,
        },
      );
    });
    return actualOf(refOf(resource.props), owner);
  }

  return {
    kind: PROJECT_ROLE_BINDING_KIND,
    cloudName: (resource) => refOf(resource.props).name,
    refOf: (resource) => refOf(resource.props),

    async readMany(refs) {
      const projects = [...new Set(refs.map((ref) => ref.project))];
      const [policies, owners] = await Promise.all([
        Promise.all(projects.map(async (project) => [project, await api().getPolicy(project)] as const)),
        ownersOf(refs.map((ref) => ref.member as string)),
      ]);
      const byProject = new Map(policies);
      const found = new Map<string, ActualResource<ProjectRoleBindingProps>>();
      for (const ref of refs) {
        const policy = byProject.get(ref.project);
        if (policy && holds(policy, ref.role as string, ref.member as string))
          found.set(ref.name, actualOf(ref, owners.get(ref.member as string)));
      }
      return found;
    },

    // Every field names the binding: any change is another binding.
    diff: (before, after) => diffFields(before, after, () => true),

    create: grant,
    update: (resource, _actual, _changes, context) => grant(resource, context),

    async delete(recorded) {
      const { role, member } = recorded.ref as CloudRef & { role: string; member: string };
      await api().updatePolicy(recorded.ref.project, (policy) =>
        holds(policy, role, member) ? withMember(policy, role, member, false) : undefined,
      );
    },
  };
}
