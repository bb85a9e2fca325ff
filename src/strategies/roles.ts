/** Checks that several strategies share: which roles a strategy accepts, no TPUs outside `tpu`. */

import type { SpecIssue } from '../errors.ts';
import type { JobSpec, RoleName } from '../spec/schema.ts';
import type { ReplicaPlan, ReplicaResources, ReplicaRole } from './plan.ts';

export function refuseRoles(
  spec: JobSpec,
  roles: readonly RoleName[],
  why: string,
  fix: string,
): SpecIssue[] {
  return roles
    .filter((role) => spec.resources[role] !== undefined)
    .map((role) => ({
      path: `resources.${role}`,
      message: `is not used by ${spec.strategy}: ${why}`,
      received: spec.resources[role],
      fix,
    }));
}

export function refuseTpu(spec: JobSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  for (const role of ['chief', 'workers', 'ps', 'evaluator'] as const) {
    const tpu = spec.resources[role]?.tpu;
    if (tpu) {
      issues.push({
        path: `resources.${role}.tpu`,
        message: `TPUs need strategy "tpu", not "${spec.strategy}"`,
        received: tpu,
        fix: 'set strategy: tpu, or remove the tpu field',
      });
    }
  }
  return issues;
}

/** A single replica allowed: `workers.replicas` must be 1. */
export function singleReplica(spec: JobSpec, fix: string): SpecIssue[] {
  const replicas = spec.resources.workers?.replicas ?? 1;
  if (replicas === 1) return [];
  return [
    {
      path: 'resources.workers.replicas',
      message: `${spec.strategy} runs one replica`,
      received: replicas,
      allowed: ['1'],
      fix,
    },
  ];
}

export function replica(
  role: ReplicaRole,
  index: number,
  address: string,
  resources: ReplicaResources,
  env: Record<string, string>,
  options: Partial<Pick<ReplicaPlan, 'runsProgram' | 'exitPolicy'>> = {},
): ReplicaPlan {
  return {
    role,
    index,
    name: `${role}-${index}`,
    address,
    resources,
    runsProgram: options.runsProgram ?? true,
    exitPolicy: options.exitPolicy ?? 'must-succeed',
    env,
  };
}
