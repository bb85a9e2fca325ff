/**
 * Rules that span fields and need the accelerator catalog: machine type and
 * GPU pairs, TPU slices, topologies and runtimes, reserved environment names.
 * Strategy rules (how many replicas of which role) live in `src/strategies`;
 * what a provider can run lives in `src/providers/capabilities.ts`.
 */

import type { SpecIssue } from '../errors.ts';
import {
  FIXED_GPU_FAMILIES,
  FIXED_GPU_MACHINES,
  findFixedGpuMachine,
  N1_GPU_LIMITS,
  N1_MACHINE_TYPES,
  n1Vcpus,
} from './catalog/gpu.ts';
import { canonicalTpuType, findTpuGenerationByName, findTpuSlice, TPU_GENERATIONS } from './catalog/tpu.ts';
import { checkTfRuntime } from './catalog/tpu-runtime.ts';
import { checkEc2Resources } from './ec2-rules.ts';
import { checkPlacement } from './placement.ts';
import type { JobSpec, RoleName, RoleResources } from './schema.ts';
import { ROLE_NAMES } from './schema.ts';
import { closestNotSmaller } from './suggest.ts';
import { checkTimeoutApplies } from './timeout-rules.ts';

export interface Findings {
  errors: SpecIssue[];
  warnings: SpecIssue[];
}

export const emptyFindings = (): Findings => ({ errors: [], warnings: [] });

export function mergeFindings(...all: Findings[]): Findings {
  return { errors: all.flatMap((f) => f.errors), warnings: all.flatMap((f) => f.warnings) };
}

/** Environment names Strato sets itself; a user value would be silently overridden. */
const RESERVED_ENV = [/^TF_CONFIG$/, /^CLUSTER_SPEC$/, /^TPU_NAME$/, /^AIP_/, /^DTENSOR_/, /^STRATO_/];

function familyOf(machineType: string): string {
  return machineType.split('-')[0] ?? machineType;
}

function unknownN1(path: string, machineType: string): SpecIssue {
  const near = closestNotSmaller(machineType, N1_MACHINE_TYPES);
  return {
    path: `${path}.machineType`,
    message: 'is not a predefined N1 machine type',
    received: machineType,
    allowed: N1_MACHINE_TYPES,
    ...(near ? { fix: `did you mean "${near}"?` } : {}),
  };
}

function checkGpuMachine(path: string, role: RoleResources, out: Findings): void {
  const { machineType, accelerator } = role;
  if (!machineType) return;
  const family = familyOf(machineType);
  const fixedFamily = (FIXED_GPU_FAMILIES as readonly string[]).includes(family);

  if (fixedFamily) {
    const fixed = findFixedGpuMachine(machineType);
    if (!fixed) {
      const sameFamily = FIXED_GPU_MACHINES.filter((m) => m.machineType.startsWith(`${family}-`)).map(
        (m) => m.machineType,
      );
      const near = closestNotSmaller(machineType, sameFamily);
      out.errors.push({
        path: `${path}.machineType`,
        message: 'is not a GPU machine type of this family',
        received: machineType,
        allowed: sameFamily,
        ...(near ? { fix: `did you mean "${near}"?` } : {}),
      });
      return;
    }
    if (accelerator && (accelerator.type !== fixed.gpu || accelerator.count !== fixed.count)) {
      out.errors.push({
        path: `${path}.accelerator`,
        message: `${machineType} comes with exactly ${fixed.count} × ${fixed.gpu}`,
        received: accelerator,
        allowed: [`{type: ${fixed.gpu}, count: ${fixed.count}}`],
        fix: `set accelerator to {type: ${fixed.gpu}, count: ${fixed.count}}, or remove it (it is implied)`,
      });
    }
    return;
  }

  if (!accelerator) return;
  if (family !== 'n1') {
    const forType = FIXED_GPU_MACHINES.filter((m) => m.gpu === accelerator.type).map((m) => m.machineType);
    out.errors.push({
      path: `${path}.machineType`,
      message: `GPUs attach only to N1 machines; ${accelerator.type} needs ${forType.length > 0 ? 'one of its own machine types' : 'an N1 machine'}`,
      received: machineType,
      allowed: forType.length > 0 ? forType : N1_MACHINE_TYPES,
      fix: forType.length > 0 ? `use e.g. ${forType[0]}` : 'use an n1-standard-* machine type',
    });
    return;
  }

  const vcpus = n1Vcpus(machineType);
  if (vcpus === undefined) {
    out.errors.push(unknownN1(path, machineType));
    return;
  }
  const limits = N1_GPU_LIMITS[accelerator.type];
  if (!limits) {
    const machines = FIXED_GPU_MACHINES.filter((m) => m.gpu === accelerator.type).map((m) => m.machineType);
    out.errors.push({
      path: `${path}.accelerator.type`,
      message: `${accelerator.type} does not attach to N1 machines`,
      received: accelerator.type,
      allowed: Object.keys(N1_GPU_LIMITS),
      fix:
        machines.length > 0
          ? `use machineType ${machines[0]} (it comes with its GPUs)`
          : 'pick a GPU N1 takes',
    });
    return;
  }
  const limit = limits[accelerator.count];
  if (!limit) {
    out.errors.push({
      path: `${path}.accelerator.count`,
      message: `N1 machines take ${accelerator.type} in these counts only`,
      received: accelerator.count,
      allowed: Object.keys(limits),
    });
    return;
  }
  if (vcpus > limit.maxVcpus) {
    out.errors.push({
      path: `${path}.machineType`,
      message: `${accelerator.count} × ${accelerator.type} allows at most ${limit.maxVcpus} vCPUs, ${machineType} has ${vcpus}`,
      received: machineType,
      fix: `use a smaller machine or more GPUs`,
    });
  }
}

function checkTpu(path: string, role: RoleResources, out: Findings): void {
  const { tpu } = role;
  if (!tpu) return;
  if (role.accelerator) {
    out.errors.push({
      path: `${path}.accelerator`,
      message: 'cannot be combined with tpu',
      received: role.accelerator,
      fix: 'remove accelerator (a TPU VM has no GPUs)',
    });
  }
  if (role.machineType) {
    out.errors.push({
      path: `${path}.machineType`,
      message: 'is set by the TPU slice',
      received: role.machineType,
      fix: 'remove machineType; the TPU type decides the host machine',
    });
  }
  const resolved = findTpuSlice(tpu.type);
  if (!resolved) {
    // Only slices of the chip the name asks for, never smaller: another chip or a smaller slice is
    // another job (and another bill), not a typo fix. An unknown chip gets the list of chips.
    const generation = findTpuGenerationByName(tpu.type);
    const candidates = generation?.slices.map((s) => s.name);
    const near = candidates
      ? closestNotSmaller(canonicalTpuType(tpu.type.toLowerCase()), candidates)
      : undefined;
    out.errors.push({
      path: `${path}.tpu.type`,
      message: generation ? `is not a ${generation.id} slice size` : 'is not a known TPU accelerator type',
      received: tpu.type,
      allowed:
        candidates ??
        TPU_GENERATIONS.map((g) => (g.id === g.prefix ? `${g.prefix}-N` : `${g.prefix}-N (${g.id}-N)`)),
      ...(near
        ? { fix: `did you mean "${near}"?` }
        : generation
          ? { fix: `${generation.id} slices go up to ${candidates!.at(-1)}` }
          : {}),
    });
    return;
  }
  const { generation, slice } = resolved;
  if (tpu.topology !== undefined && tpu.topology !== slice.topology) {
    out.errors.push({
      path: `${path}.tpu.topology`,
      message: `is not the topology of ${slice.name} (${slice.chips} chips)`,
      received: tpu.topology,
      allowed: [slice.topology],
      fix: `set topology: ${slice.topology}, or remove it`,
    });
  }
  for (const problem of checkTfRuntime(tpu.runtimeVersion, generation, slice.hosts > 1)) {
    const issue = {
      path: `${path}.tpu.runtimeVersion`,
      message: problem.message,
      received: tpu.runtimeVersion,
      fix: problem.fix,
    };
    (problem.severity === 'error' ? out.errors : out.warnings).push(issue);
  }
}

function checkMachineTypeKnown(path: string, role: RoleResources, out: Findings): void {
  // A CPU-only machine type outside the GPU families is left to the cloud to judge;
  // the catalog only lists GPU-capable shapes.
  const { machineType } = role;
  if (!machineType || role.accelerator || role.tpu) return;
  if (familyOf(machineType) === 'n1' && n1Vcpus(machineType) === undefined) {
    out.errors.push(unknownN1(path, machineType));
  }
}

function checkEnv(spec: JobSpec, out: Findings): void {
  for (const name of Object.keys(spec.container.env)) {
    if (RESERVED_ENV.some((pattern) => pattern.test(name))) {
      out.errors.push({
        path: `container.env.${name}`,
        message: 'is set by Strato for each replica and cannot be overridden',
        received: name,
        fix: 'remove it; `strato explain` shows the value each replica gets',
      });
    }
  }
  const seen = new Map<string, number>();
  spec.data.forEach((entry, index) => {
    const path = `data[${index}].env`;
    if (RESERVED_ENV.some((pattern) => pattern.test(entry.env))) {
      out.errors.push({
        path,
        message: 'is a name Strato sets itself',
        received: entry.env,
        fix: 'pick another name, e.g. DATA_DIR',
      });
    }
    if (entry.env in spec.container.env) {
      out.errors.push({
        path,
        message: 'is also set in container.env',
        received: entry.env,
        fix: 'remove one of them; the data entry sets it to the data URI',
      });
    }
    const first = seen.get(entry.env);
    if (first !== undefined) {
      out.errors.push({
        path,
        message: `repeats data[${first}].env`,
        received: entry.env,
        fix: 'give each data entry its own variable',
      });
    }
    seen.set(entry.env, index);
  });
}

export function checkCatalogRules(spec: JobSpec): Findings {
  const out = emptyFindings();
  for (const roleName of ROLE_NAMES as readonly RoleName[]) {
    const role = spec.resources[roleName];
    if (!role) continue;
    const path = `resources.${roleName}`;
    checkTpu(path, role, out);
    // EC2 instance types are not Compute Engine machine types: ec2-rules.ts checks them.
    if (spec.provider.name === 'ec2') continue;
    if (!role.tpu) checkGpuMachine(path, role, out);
    checkMachineTypeKnown(path, role, out);
  }
  out.errors.push(...checkEc2Resources(spec));
  checkEnv(spec, out);
  out.errors.push(...checkPlacement(spec));
  out.errors.push(...checkTimeoutApplies(spec));
  return out;
}

/** Accelerator of a role, implied by an accelerator-optimized machine type when not written. */
export function effectiveAccelerator(role: RoleResources | undefined): RoleResources['accelerator'] {
  if (!role) return undefined;
  if (role.accelerator) return role.accelerator;
  const fixed = role.machineType ? findFixedGpuMachine(role.machineType) : undefined;
  return fixed ? { type: fixed.gpu, count: fixed.count } : undefined;
}
