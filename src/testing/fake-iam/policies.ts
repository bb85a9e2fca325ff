/**
 * Project IAM policies as Resource Manager keeps them
 * (https://cloud.google.com/resource-manager/reference/rest/v3/projects/setIamPolicy):
 * read-modify-write with an etag — a set carrying a stale etag is ABORTED
 * (409), one without an etag overwrites — members that name a service
 * account that does not exist are refused, empty bindings are dropped, and
 * a deleted account's memberships read `deleted:serviceAccount:EMAIL?uid=ID`.
 * A new project's policy has its creator as owner, as a real one does.
 */

import { etagOf, type ServiceAccounts } from './accounts.ts';
import { concurrentPolicyChange, invalidArgument } from './errors.ts';

export interface Binding {
  role: string;
  members: string[];
  condition?: Record<string, unknown>;
}

export interface Policy {
  version: number;
  etag: string;
  bindings: Binding[];
}

/** Who owns every project the fake makes up (its policy's first binding). */
export const PROJECT_OWNER = 'user:owner@example.com';
const ROLE = /^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/;
const SERVICE_ACCOUNT_MEMBER = /^serviceAccount:(.+\.iam\.gserviceaccount\.com)$/;

export class ProjectPolicies {
  private readonly policies = new Map<string, Policy>();
  private serial = 0;
  private readonly accounts: ServiceAccounts;

  constructor(accounts: ServiceAccounts) {
    this.accounts = accounts;
    accounts.onDelete = (email, uniqueId) => this.markDeleted(email, uniqueId);
  }

  get(project: string): Policy {
    let policy = this.policies.get(project);
    if (!policy) {
      policy = {
        version: 1,
        etag: this.nextEtag(),
        bindings: [{ role: 'roles/owner', members: [PROJECT_OWNER] }],
      };
      this.policies.set(project, policy);
    }
    return structuredClone(policy);
  }

  set(project: string, input: unknown): Policy {
    const current = this.get(project);
    const policy = (input ?? {}) as Partial<Policy>;
    if (policy.etag !== undefined && policy.etag !== current.etag) throw concurrentPolicyChange();
    const bindings: Binding[] = [];
    for (const binding of policy.bindings ?? []) {
      if (typeof binding?.role !== 'string' || !ROLE.test(binding.role))
        throw invalidArgument(`Role (${String(binding?.role)}) does not exist in the resource's hierarchy.`);
      const members = [...new Set((binding.members ?? []).map(String))];
      for (const member of members) this.checkMember(member);
      if (members.length > 0)
        bindings.push({
          role: binding.role,
          members,
          ...(binding.condition ? { condition: binding.condition } : {}),
        });
    }
    const next: Policy = { version: policy.version ?? current.version, etag: this.nextEtag(), bindings };
    this.policies.set(project, next);
    return structuredClone(next);
  }

  private checkMember(member: string): void {
    if (member.startsWith('deleted:')) return;
    const account = SERVICE_ACCOUNT_MEMBER.exec(member)?.[1];
    if (account && !this.accounts.byEmail.has(account))
      throw invalidArgument(`Service account ${account} does not exist.`);
    if (
      !/^(user|serviceAccount|group|domain|principal|principalSet):\S+$|^(allUsers|allAuthenticatedUsers)$/.test(
        member,
      )
    )
      throw invalidArgument(`Invalid member: ${member}.`);
  }

  private markDeleted(email: string, uniqueId: string): void {
    for (const [project, policy] of this.policies) {
      const member = `serviceAccount:${email}`;
      if (!policy.bindings.some((binding) => binding.members.includes(member))) continue;
      const bindings = policy.bindings.map((binding) => ({
        ...binding,
        members: binding.members.map((m) => (m === member ? `deleted:${member}?uid=${uniqueId}` : m)),
      }));
      this.policies.set(project, { ...policy, bindings, etag: this.nextEtag() });
    }
  }

  private nextEtag(): string {
    this.serial += 1;
    return etagOf(`policy:${this.serial}`);
  }
}
