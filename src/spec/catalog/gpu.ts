/**
 * NVIDIA GPUs on Compute Engine and Vertex AI: which machine types take which
 * GPUs, and how many.
 *
 * Sources:
 * - https://cloud.google.com/compute/docs/gpus (GPU models and machine types)
 * - https://cloud.google.com/compute/docs/accelerator-optimized-machines (A2, A3, G2 shapes)
 * - https://cloud.google.com/vertex-ai/docs/training/configure-compute#gpu-compatibility-table
 * - Vertex `AcceleratorType` enum: google/cloud/aiplatform/v1/accelerator_type.proto
 */

export interface GpuType {
  /** Compute Engine accelerator type, as `gcloud compute accelerator-types list` shows it. */
  id: string;
  /** Vertex AI `AcceleratorType` enum name. */
  vertexName: string;
  displayName: string;
  memoryGb: number;
}

/** The GPU types a spec may name, with their Vertex AI accelerator names and memory. */
export const GPU_TYPES = [
  { id: 'nvidia-tesla-t4', vertexName: 'NVIDIA_TESLA_T4', displayName: 'NVIDIA T4', memoryGb: 16 },
  { id: 'nvidia-tesla-p4', vertexName: 'NVIDIA_TESLA_P4', displayName: 'NVIDIA P4', memoryGb: 8 },
  { id: 'nvidia-tesla-p100', vertexName: 'NVIDIA_TESLA_P100', displayName: 'NVIDIA P100', memoryGb: 16 },
  { id: 'nvidia-tesla-v100', vertexName: 'NVIDIA_TESLA_V100', displayName: 'NVIDIA V100', memoryGb: 16 },
  { id: 'nvidia-tesla-a100', vertexName: 'NVIDIA_TESLA_A100', displayName: 'NVIDIA A100 40GB', memoryGb: 40 },
  { id: 'nvidia-a100-80gb', vertexName: 'NVIDIA_A100_80GB', displayName: 'NVIDIA A100 80GB', memoryGb: 80 },
  { id: 'nvidia-h100-80gb', vertexName: 'NVIDIA_H100_80GB', displayName: 'NVIDIA H100 80GB', memoryGb: 80 },
  {
    id: 'nvidia-h100-mega-80gb',
    vertexName: 'NVIDIA_H100_MEGA_80GB',
    displayName: 'NVIDIA H100 Mega 80GB',
    memoryGb: 80,
  },
  {
    id: 'nvidia-h200-141gb',
    vertexName: 'NVIDIA_H200_141GB',
    displayName: 'NVIDIA H200 141GB',
    memoryGb: 141,
  },
  { id: 'nvidia-l4', vertexName: 'NVIDIA_L4', displayName: 'NVIDIA L4', memoryGb: 24 },
] as const satisfies readonly GpuType[];

export type GpuTypeId = (typeof GPU_TYPES)[number]['id'];
export const GPU_TYPE_IDS = GPU_TYPES.map((g) => g.id) as [GpuTypeId, ...GpuTypeId[]];

/** The GPU type with this id (`nvidia-l4`, …), or undefined. */
export function findGpuType(id: string): GpuType | undefined {
  return GPU_TYPES.find((g) => g.id === id);
}

/**
 * N1 machines take attached GPUs. Each (GPU, count) pair caps the machine's
 * vCPUs ("N1 machine types with GPUs" table in the GPU machine-types page).
 */
export const N1_GPU_LIMITS: Readonly<Record<string, Readonly<Record<number, { maxVcpus: number }>>>> = {
  'nvidia-tesla-t4': { 1: { maxVcpus: 48 }, 2: { maxVcpus: 48 }, 4: { maxVcpus: 96 } },
  'nvidia-tesla-p4': { 1: { maxVcpus: 24 }, 2: { maxVcpus: 48 }, 4: { maxVcpus: 96 } },
  'nvidia-tesla-p100': { 1: { maxVcpus: 16 }, 2: { maxVcpus: 32 }, 4: { maxVcpus: 64 } },
  'nvidia-tesla-v100': { 1: { maxVcpus: 12 }, 2: { maxVcpus: 24 }, 4: { maxVcpus: 48 }, 8: { maxVcpus: 96 } },
};

/** Predefined N1 shapes (vCPU counts per series). */
const N1_VCPUS: Readonly<Record<string, readonly number[]>> = {
  standard: [1, 2, 4, 8, 16, 32, 64, 96],
  highmem: [2, 4, 8, 16, 32, 64, 96],
  highcpu: [2, 4, 8, 16, 32, 64, 96],
};

export const N1_MACHINE_TYPES: readonly string[] = Object.entries(N1_VCPUS).flatMap(([series, sizes]) =>
  sizes.map((n) => `n1-${series}-${n}`),
);

/** Accelerator-optimized machines come with a fixed GPU type and count. */
export interface FixedGpuMachine {
  machineType: string;
  gpu: GpuTypeId;
  count: number;
  vcpus: number;
}

export const FIXED_GPU_MACHINES = [
  // A2 Standard: A100 40GB.
  { machineType: 'a2-highgpu-1g', gpu: 'nvidia-tesla-a100', count: 1, vcpus: 12 },
  { machineType: 'a2-highgpu-2g', gpu: 'nvidia-tesla-a100', count: 2, vcpus: 24 },
  { machineType: 'a2-highgpu-4g', gpu: 'nvidia-tesla-a100', count: 4, vcpus: 48 },
  { machineType: 'a2-highgpu-8g', gpu: 'nvidia-tesla-a100', count: 8, vcpus: 96 },
  { machineType: 'a2-megagpu-16g', gpu: 'nvidia-tesla-a100', count: 16, vcpus: 96 },
  // A2 Ultra: A100 80GB.
  { machineType: 'a2-ultragpu-1g', gpu: 'nvidia-a100-80gb', count: 1, vcpus: 12 },
  { machineType: 'a2-ultragpu-2g', gpu: 'nvidia-a100-80gb', count: 2, vcpus: 24 },
  { machineType: 'a2-ultragpu-4g', gpu: 'nvidia-a100-80gb', count: 4, vcpus: 48 },
  { machineType: 'a2-ultragpu-8g', gpu: 'nvidia-a100-80gb', count: 8, vcpus: 96 },
  // A3: H100 / H200. The 1g, 2g and 4g A3 High shapes are offered for Spot and Flex-start only.
  { machineType: 'a3-highgpu-1g', gpu: 'nvidia-h100-80gb', count: 1, vcpus: 26 },
  { machineType: 'a3-highgpu-2g', gpu: 'nvidia-h100-80gb', count: 2, vcpus: 52 },
  { machineType: 'a3-highgpu-4g', gpu: 'nvidia-h100-80gb', count: 4, vcpus: 104 },
  { machineType: 'a3-highgpu-8g', gpu: 'nvidia-h100-80gb', count: 8, vcpus: 208 },
  { machineType: 'a3-megagpu-8g', gpu: 'nvidia-h100-mega-80gb', count: 8, vcpus: 208 },
  { machineType: 'a3-ultragpu-8g', gpu: 'nvidia-h200-141gb', count: 8, vcpus: 224 },
  // G2: L4.
  { machineType: 'g2-standard-4', gpu: 'nvidia-l4', count: 1, vcpus: 4 },
  { machineType: 'g2-standard-8', gpu: 'nvidia-l4', count: 1, vcpus: 8 },
  { machineType: 'g2-standard-12', gpu: 'nvidia-l4', count: 1, vcpus: 12 },
  { machineType: 'g2-standard-16', gpu: 'nvidia-l4', count: 1, vcpus: 16 },
  { machineType: 'g2-standard-24', gpu: 'nvidia-l4', count: 2, vcpus: 24 },
  { machineType: 'g2-standard-32', gpu: 'nvidia-l4', count: 1, vcpus: 32 },
  { machineType: 'g2-standard-48', gpu: 'nvidia-l4', count: 4, vcpus: 48 },
  { machineType: 'g2-standard-96', gpu: 'nvidia-l4', count: 8, vcpus: 96 },
] as const satisfies readonly FixedGpuMachine[];

export function findFixedGpuMachine(machineType: string): FixedGpuMachine | undefined {
  return FIXED_GPU_MACHINES.find((m) => m.machineType === machineType);
}

/** Machine-type families whose shapes are fixed by the GPUs they carry. */
export const FIXED_GPU_FAMILIES = ['a2', 'a3', 'g2'] as const;

/** vCPUs of a predefined N1 machine type, or undefined when it is not one. */
export function n1Vcpus(machineType: string): number | undefined {
  const match = /^n1-(standard|highmem|highcpu)-(\d+)$/.exec(machineType);
  if (!match) return undefined;
  const vcpus = Number(match[2]);
  return N1_VCPUS[match[1]!]?.includes(vcpus) ? vcpus : undefined;
}

/** Every machine type that can carry GPUs, for "allowed" lists. */
export const GPU_MACHINE_TYPES: readonly string[] = [
  ...N1_MACHINE_TYPES,
  ...FIXED_GPU_MACHINES.map((m) => m.machineType),
];
