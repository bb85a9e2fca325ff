/**
 * Pre-flight for Vertex AI: what the service would refuse, found from the
 * plan and the catalog before any API call — an unknown region, a machine
 * type Vertex does not train on, a GPU count the machine cannot take, a TPU
 * Vertex does not offer, a missing project — each with the allowed values
 * and the fix. Field paths name the job spec field to change.
 */

import type { SpecIssue } from '../../errors.ts';
import { FIXED_GPU_MACHINES, findFixedGpuMachine, N1_GPU_LIMITS } from '../../spec/catalog/gpu.ts';
import {
  isVertexMachineType,
  isVertexRegion,
  VERTEX_MACHINE_TYPES,
  VERTEX_REGIONS,
  VERTEX_TPU_GENERATIONS,
  VERTEX_TPU_SHAPES,
} from '../../spec/catalog/vertex.ts';
import type { Findings } from '../../spec/rules.ts';
import { closest } from '../../spec/suggest.ts';
import type { ClusterPlan, ReplicaPlan, ReplicaTpu } from '../../strategies/plan.ts';
import { tpuMachineSpec } from './machine-spec.ts';

/** Same rule as the spec schema (resource-manager "Before you begin"). */
const PROJECT_PATTERN = /^[a-z][a-z0-9-]{4,28}[a-z0-9]$/;
/** A resource carries at most 64 labels (https://cloud.google.com/compute/docs/labeling-resources#requirements). */
const MAX_LABELS = 64;
/** Labels Strato adds to every CustomJob. */
export const STRATO_LABEL_COUNT = 3;

const SPEC_ROLE: Record<ReplicaPlan['role'], string> = {
  chief: 'resources.chief',
  worker: 'resources.workers',
  ps: 'resources.ps',
  evaluator: 'resources.evaluator',
  'tpu-host': 'resources.workers.tpu',
};

function didYouMean(value: string, candidates: readonly string[]): { fix?: string } {
  const near = closest(value, candidates, 1);
  return near.length > 0 ? { fix: `did you mean "${near[0]}"?` } : {};
}

function checkProject(project: string | undefined, errors: SpecIssue[]): void {
  if (!project) {
    errors.push({
      path: 'provider.project',
      message: 'is required on vertex: CustomJobs live in a project',
      fix: 'set provider.project to your project id (`gcloud config get-value project` shows it)',
    });
  } else if (!PROJECT_PATTERN.test(project)) {
    errors.push({
      path: 'provider.project',
      message: 'is not a Google Cloud project id (6-30 lower-case letters, digits and "-")',
      received: project,
      fix: 'use the project id, not its display name or number',
    });
  }
}

function checkRegion(region: string | undefined, errors: SpecIssue[]): void {
  if (region && isVertexRegion(region)) return;
  errors.push({
    path: 'provider.region',
    message: region ? 'is not a region where Vertex AI trains' : 'is required on vertex',
    ...(region ? { received: region } : {}),
    allowed: VERTEX_REGIONS,
    ...(region ? didYouMean(region, VERTEX_REGIONS) : { fix: 'set provider.region, e.g. us-central1' }),
  });
}

function tpuShapesText(generation: string): string[] {
  if (generation === 'v2' || generation === 'v3') return [`${generation}-8`];
  return VERTEX_TPU_SHAPES.filter((s) => s.generation === generation).map(
    (s) => `${s.topology} (${s.chips} chips)`,
  );
}

function checkTpu(path: string, tpu: ReplicaTpu, errors: SpecIssue[]): void {
  if (!VERTEX_TPU_GENERATIONS.includes(tpu.generation as (typeof VERTEX_TPU_GENERATIONS)[number])) {
    errors.push({
      path: `${path}.type`,
      message: `Vertex AI does not train on TPU ${tpu.generation}`,
      received: tpu.type,
      allowed: VERTEX_TPU_GENERATIONS.map((g) => `TPU ${g}`),
      fix: `use provider tpu-vm for TPU ${tpu.generation}, or a v5e / v5p / v6e slice on vertex`,
    });
    return;
  }
  if (tpuMachineSpec(tpu)) return;
  const legacy = tpu.generation === 'v2' || tpu.generation === 'v3';
  errors.push({
    path: legacy ? `${path}.type` : `${path}.topology`,
    message: legacy
      ? `Vertex AI offers TPU ${tpu.generation} only as one ${tpu.generation}-8 device`
      : `Vertex AI has no TPU ${tpu.generation} slice with topology ${tpu.topology} and ${tpu.chips} chips`,
    received: legacy ? tpu.type : tpu.topology,
    allowed: tpuShapesText(tpu.generation),
    fix: legacy
      ? `use ${tpu.generation}-8, or provider tpu-vm for bigger ${tpu.generation} slices`
      : 'pick a slice with one of these topologies',
  });
}

function checkGpuCount(path: string, replica: ReplicaPlan, errors: SpecIssue[]): void {
  const { machineType, accelerator } = replica.resources;
  if (!machineType || !accelerator) return;
  const fixed = findFixedGpuMachine(machineType);
  if (fixed) {
    if (fixed.gpu !== accelerator.type || fixed.count !== accelerator.count) {
      errors.push({
        path: `${path}.accelerator`,
        message: `${machineType} comes with exactly ${fixed.count} × ${fixed.gpu}`,
        received: accelerator,
        allowed: [`{type: ${fixed.gpu}, count: ${fixed.count}}`],
        fix: 'remove accelerator (the machine type implies it) or pick another machine type',
      });
    }
    return;
  }
  const limits = machineType.startsWith('n1-') ? N1_GPU_LIMITS[accelerator.type] : undefined;
  if (!limits) {
    const machines = FIXED_GPU_MACHINES.filter((m) => m.gpu === accelerator.type).map((m) => m.machineType);
    errors.push({
      path: `${path}.machineType`,
      message: `${machineType} cannot take ${accelerator.type}`,
      received: machineType,
      allowed: machines.length > 0 ? machines : ['n1-standard-*'],
      fix: machines.length > 0 ? `use ${machines[0]}` : 'use an N1 machine type',
    });
  } else if (!limits[accelerator.count]) {
    errors.push({
      path: `${path}.accelerator.count`,
      message: `${machineType} takes ${accelerator.type} in these counts only`,
      received: accelerator.count,
      allowed: Object.keys(limits),
    });
  }
}

function checkReplica(replica: ReplicaPlan, errors: SpecIssue[], seen: Set<string>): void {
  const path = SPEC_ROLE[replica.role];
  // Replicas of one role share resources: report each role once.
  if (seen.has(path)) return;
  seen.add(path);
  const { tpu, machineType } = replica.resources;
  if (tpu) {
    checkTpu(replica.role === 'tpu-host' ? path : `${path}.tpu`, tpu, errors);
    return;
  }
  if (!machineType) {
    errors.push({
      path: `${path}.machineType`,
      message: 'is required on vertex',
      fix: 'set a machine type, e.g. n1-standard-8',
    });
    return;
  }
  if (!isVertexMachineType(machineType)) {
    errors.push({
      path: `${path}.machineType`,
      message: 'is not a machine type Vertex AI trains on',
      received: machineType,
      allowed: VERTEX_MACHINE_TYPES,
      ...didYouMean(machineType, VERTEX_MACHINE_TYPES),
    });
    return;
  }
  checkGpuCount(path, replica, errors);
}

/** Everything Vertex would refuse in this plan (errors) or silently ignore (warnings). */
export function checkVertexPlan(plan: ClusterPlan): Findings {
  const errors: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  const provider = plan.provider.name === 'vertex' ? plan.provider : undefined;
  if (!provider) {
    errors.push({
      path: 'provider.name',
      message: 'the plan is not for vertex',
      received: plan.provider.name,
      fix: 'set provider.name: vertex with project and region',
    });
    return { errors, warnings };
  }
  checkProject(provider.project, errors);
  checkRegion(provider.region, errors);
  if (!plan.image) {
    errors.push({
      path: 'container.image',
      message: 'is required on vertex',
      fix: 'set container.image, e.g. one built from trainer-images/',
    });
  }
  if (!plan.runDir.root.startsWith('gs://')) {
    errors.push({
      path: 'output',
      message: 'Vertex AI writes outputs to Cloud Storage only',
      received: plan.runDir.root,
      fix: 'set output: gs://BUCKET/runs/NAME',
    });
  }
  const seen = new Set<string>();
  for (const replica of plan.replicas) checkReplica(replica, errors, seen);
  const labelCount = Object.keys(plan.labels).length + STRATO_LABEL_COUNT;
  if (labelCount > MAX_LABELS) {
    errors.push({
      path: 'labels',
      message: `a CustomJob takes at most ${MAX_LABELS} labels and Strato adds ${STRATO_LABEL_COUNT}`,
      received: Object.keys(plan.labels).length,
      fix: `keep at most ${MAX_LABELS - STRATO_LABEL_COUNT} labels`,
    });
  }
  const tpu = plan.replicas.find((r) => r.resources.tpu)?.resources.tpu;
  if (plan.scheduling.spot && tpu && tpu.hosts > 1) {
    // "Using Spot VMs with TPU Pods isn't supported" (https://cloud.google.com/vertex-ai/docs/training/use-spot-vms).
    warnings.push({
      path: 'scheduling.spot',
      message: `Vertex AI does not offer Spot VMs for multi-host TPU slices (${tpu.type} has ${tpu.hosts} hosts); the job may be refused`,
      received: true,
      fix: 'use a single-host slice for Spot, or set spot: false',
    });
  }
  if (plan.workingDir) {
    warnings.push({
      path: 'container.workingDir',
      message: "Vertex AI has no working-directory setting; the image's WORKDIR applies",
      received: plan.workingDir,
      fix: 'set WORKDIR in the image, or remove workingDir',
    });
  }
  return { errors, warnings };
}
