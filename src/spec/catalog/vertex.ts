/**
 * What Vertex AI custom training accepts: its regions, its machine types and
 * how it takes TPUs. Pre-flight checks and the fake Vertex both read this
 * table, so a job the fake accepts is one the real service would accept.
 *
 * Sources (checked against the docs; regions and shapes are added over time,
 * so update from these pages):
 * - Regions: https://cloud.google.com/vertex-ai/docs/general/locations#available-regions
 * - Machine types and TPUs: https://cloud.google.com/vertex-ai/docs/training/configure-compute
 *   ("Machine types", "GPUs", "TPUs": v2/v3 as `cloud-tpu` with 8 TPU_V2/TPU_V3
 *   cores in the first pool; v5e, v5p and v6e as TPU VM machine types with a
 *   `tpuTopology`, one replica per pool).
 * - GPU enum names: google/cloud/aiplatform/v1/accelerator_type.proto (`vertexName` in gpu.ts).
 */

import { FIXED_GPU_MACHINES, N1_MACHINE_TYPES } from './gpu.ts';
import type { TpuGenerationId } from './tpu.ts';

/** Regions where Vertex AI custom training runs (locations page, "Available regions"). */
export const VERTEX_REGIONS = [
  // Americas
  'us-central1',
  'us-east1',
  'us-east4',
  'us-east5',
  'us-south1',
  'us-west1',
  'us-west2',
  'us-west3',
  'us-west4',
  'northamerica-northeast1',
  'northamerica-northeast2',
  'southamerica-east1',
  'southamerica-west1',
  // Europe
  'europe-central2',
  'europe-north1',
  'europe-southwest1',
  'europe-west1',
  'europe-west2',
  'europe-west3',
  'europe-west4',
  'europe-west6',
  'europe-west8',
  'europe-west9',
  'europe-west12',
  // Middle East and Africa
  'me-central1',
  'me-central2',
  'me-west1',
  'africa-south1',
  // Asia Pacific
  'asia-east1',
  'asia-east2',
  'asia-northeast1',
  'asia-northeast2',
  'asia-northeast3',
  'asia-south1',
  'asia-southeast1',
  'asia-southeast2',
  'australia-southeast1',
  'australia-southeast2',
] as const;

export function isVertexRegion(region: string): boolean {
  return (VERTEX_REGIONS as readonly string[]).includes(region);
}

/** Predefined CPU shapes per series, as the "Machine types" list of configure-compute names them. */
const CPU_SHAPES: Readonly<Record<string, readonly number[]>> = {
  'e2-standard': [4, 8, 16, 32],
  'e2-highmem': [2, 4, 8, 16],
  'e2-highcpu': [16, 32],
  'n2-standard': [4, 8, 16, 32, 48, 64, 80],
  'n2-highmem': [2, 4, 8, 16, 32, 48, 64, 80],
  'n2-highcpu': [16, 32, 48, 64, 80],
  'c2-standard': [4, 8, 16, 30, 60],
  'm1-ultramem': [40, 80, 160],
  'm1-megamem': [96],
};

/**
 * N1 shapes Vertex trains on: the same as Compute Engine's predefined N1
 * types minus the smallest ones, which the configure-compute list leaves out.
 */
const N1_TOO_SMALL = new Set([
  'n1-standard-1',
  'n1-standard-2',
  'n1-highcpu-2',
  'n1-highcpu-4',
  'n1-highcpu-8',
]);

/** Machine types a Vertex worker pool takes for CPU and GPU replicas (TPU machine types below). */
export const VERTEX_MACHINE_TYPES: readonly string[] = [
  ...Object.entries(CPU_SHAPES).flatMap(([series, sizes]) => sizes.map((n) => `${series}-${n}`)),
  ...N1_MACHINE_TYPES.filter((m) => !N1_TOO_SMALL.has(m)),
  ...FIXED_GPU_MACHINES.map((m) => m.machineType),
];

export function isVertexMachineType(machineType: string): boolean {
  return VERTEX_MACHINE_TYPES.includes(machineType);
}

/** TPU v2 and v3 on Vertex: one `cloud-tpu` machine with 8 TPU cores (a v2-8 / v3-8 device). */
export const VERTEX_LEGACY_TPU_MACHINE = 'cloud-tpu';
export const VERTEX_LEGACY_TPU_CORES = 8;

/** One shape Vertex provisions for a TPU VM generation: a machine type and a topology. */
export interface VertexTpuShape {
  generation: TpuGenerationId;
  machineType: string;
  topology: string;
  chips: number;
  /** VMs Vertex starts for one replica of this shape (a multi-host slice is one replica). */
  vms: number;
}

function shapes(
  generation: TpuGenerationId,
  rows: readonly [machineType: string, topology: string, chips: number, vms: number][],
): VertexTpuShape[] {
  return rows.map(([machineType, topology, chips, vms]) => ({
    generation,
    machineType,
    topology,
    chips,
    vms,
  }));
}

/**
 * TPU VM shapes on Vertex (configure-compute, "TPUs" tables). Where several
 * machine types give the same topology, the first row is the one Strato
 * renders (fewest VMs); the others are still accepted.
 */
export const VERTEX_TPU_SHAPES: readonly VertexTpuShape[] = [
  ...shapes('v5e', [
    ['ct5lp-hightpu-1t', '1x1', 1, 1],
    ['ct5lp-hightpu-4t', '2x2', 4, 1],
    ['ct5lp-hightpu-8t', '2x4', 8, 1],
    ['ct5lp-hightpu-4t', '2x4', 8, 2],
    ['ct5lp-hightpu-4t', '4x4', 16, 4],
    ['ct5lp-hightpu-4t', '4x8', 32, 8],
    ['ct5lp-hightpu-4t', '8x8', 64, 16],
    ['ct5lp-hightpu-4t', '8x16', 128, 32],
    ['ct5lp-hightpu-4t', '16x16', 256, 64],
  ]),
  ...shapes('v5p', [
    ['ct5p-hightpu-4t', '2x2x1', 4, 1],
    ['ct5p-hightpu-4t', '2x2x2', 8, 2],
    ['ct5p-hightpu-4t', '2x2x4', 16, 4],
    ['ct5p-hightpu-4t', '2x4x4', 32, 8],
    ['ct5p-hightpu-4t', '4x4x4', 64, 16],
    ['ct5p-hightpu-4t', '4x4x8', 128, 32],
    ['ct5p-hightpu-4t', '4x8x8', 256, 64],
    ['ct5p-hightpu-4t', '8x8x8', 512, 128],
    ['ct5p-hightpu-4t', '8x8x16', 1024, 256],
    ['ct5p-hightpu-4t', '8x16x16', 2048, 512],
    ['ct5p-hightpu-4t', '16x16x16', 4096, 1024],
    ['ct5p-hightpu-4t', '16x16x24', 6144, 1536],
  ]),
  ...shapes('v6e', [
    ['ct6e-standard-1t', '1x1', 1, 1],
    ['ct6e-standard-4t', '2x2', 4, 1],
    ['ct6e-standard-8t', '2x4', 8, 1],
    ['ct6e-standard-4t', '2x4', 8, 2],
    ['ct6e-standard-4t', '4x4', 16, 4],
    ['ct6e-standard-4t', '4x8', 32, 8],
    ['ct6e-standard-4t', '8x8', 64, 16],
    ['ct6e-standard-4t', '8x16', 128, 32],
    ['ct6e-standard-4t', '16x16', 256, 64],
  ]),
];

/** Generations Vertex trains on, for "allowed" lists. */
export const VERTEX_TPU_GENERATIONS: readonly TpuGenerationId[] = ['v2', 'v3', 'v5e', 'v5p', 'v6e'];

/** TPU machine types (for "allowed" lists and the fake's validation). */
export const VERTEX_TPU_MACHINE_TYPES: readonly string[] = [
  VERTEX_LEGACY_TPU_MACHINE,
  ...new Set(VERTEX_TPU_SHAPES.map((s) => s.machineType)),
];

/** The shape to render for a slice of this generation and topology, or undefined when Vertex has none. */
export function findVertexTpuShape(generation: string, topology: string): VertexTpuShape | undefined {
  return VERTEX_TPU_SHAPES.find((s) => s.generation === generation && s.topology === topology);
}

/** Shapes a TPU machine type takes (the fake's topology check). Empty for other machine types. */
export function vertexTpuShapesOf(machineType: string): VertexTpuShape[] {
  return VERTEX_TPU_SHAPES.filter((s) => s.machineType === machineType);
}
