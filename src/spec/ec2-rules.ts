/**
 * What an `ec2` job may ask of its instances, checked before anything is
 * created. The instance type comes from the stack's launch template; a role
 * may name it (`machineType: g5.12xlarge`) to say what it needs, and the
 * provider refuses the job at submit when the stack launches another type.
 * GPUs come with the instance type on EC2 (there is nothing to attach), so
 * `accelerator` is refused with the type that would bring them.
 */

import type { SpecIssue } from '../errors.ts';
import { AWS_GPU_INSTANCE_TYPES, findAwsGpuInstanceType } from './catalog/aws-gpu.ts';
import { type JobSpec, ROLE_NAMES } from './schema.ts';

export function checkEc2Resources(spec: JobSpec): SpecIssue[] {
  const provider = spec.provider;
  if (provider.name !== 'ec2') return [];
  const issues: SpecIssue[] = [];
  for (const role of ROLE_NAMES) {
    const resources = spec.resources[role];
    if (!resources) continue;
    const path = `resources.${role}`;
    if (resources.accelerator) {
      const fits = AWS_GPU_INSTANCE_TYPES.filter((t) => t.gpus >= resources.accelerator!.count).map(
        (t) => t.instanceType,
      );
      issues.push({
        path: `${path}.accelerator`,
        message: 'cannot be set on ec2: an EC2 instance type comes with its GPUs',
        received: resources.accelerator,
        allowed: fits,
        fix: `remove accelerator and set machineType to a type with ${resources.accelerator.count} GPU(s), e.g. ${fits[0] ?? 'p5.48xlarge'}`,
      });
    }
    if (!resources.machineType) continue;
    const type = findAwsGpuInstanceType(resources.machineType);
    if (!type) {
      issues.push({
        path: `${path}.machineType`,
        message: 'is not an EC2 GPU instance type in the catalog',
        received: resources.machineType,
        allowed: AWS_GPU_INSTANCE_TYPES.map((t) => t.instanceType),
        fix: "name the stack's GPU instance type (g5, g6, p4d, p5), or remove machineType to use whatever the stack launches",
      });
    } else if (provider.region && !(type.family.regions as readonly string[]).includes(provider.region)) {
      issues.push({
        path: 'provider.region',
        message: `does not offer ${type.family.family} instances (per ${type.family.source})`,
        received: provider.region,
        allowed: type.family.regions,
        fix: `deploy the stack in one of the listed regions and name it here`,
      });
    }
  }
  return issues;
}
