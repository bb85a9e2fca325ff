/** Role resources from the spec → the resources of one planned replica. */

import { findTpuSlice } from '../spec/catalog/tpu.ts';
import { effectiveAccelerator } from '../spec/rules.ts';
import type { RoleResources } from '../spec/schema.ts';
import type { ReplicaResources } from './plan.ts';

export function replicaResources(role: RoleResources | undefined): ReplicaResources {
  const out: ReplicaResources = {};
  if (!role) return out;
  if (role.machineType) out.machineType = role.machineType;
  const accelerator = effectiveAccelerator(role);
  if (accelerator) out.accelerator = accelerator;
  if (role.diskSizeGb) out.diskSizeGb = role.diskSizeGb;
  if (role.tpu) {
    const resolved = findTpuSlice(role.tpu.type);
    if (resolved) {
      out.tpu = {
        type: resolved.slice.name,
        topology: role.tpu.topology ?? resolved.slice.topology,
        runtimeVersion: role.tpu.runtimeVersion,
        generation: resolved.generation.id,
        chips: resolved.slice.chips,
        hosts: resolved.slice.hosts,
      };
    }
  }
  return out;
}

/** GPUs per replica of a role (0 when it has none). */
export function gpusOf(role: RoleResources | undefined): number {
  return effectiveAccelerator(role)?.count ?? 0;
}
