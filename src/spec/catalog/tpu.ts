/**
 * Cloud TPU generations and the slices each offers.
 *
 * Sources:
 * - https://cloud.google.com/tpu/docs/system-architecture-tpu-vm (chips, TensorCores, hosts)
 * - https://cloud.google.com/tpu/docs/v2, /v3, /v4, /v5e, /v5p, /v6e (slice names and topologies)
 * - https://cloud.google.com/tpu/docs/runtimes (TensorFlow runtime versions)
 *
 * The number in a slice name counts TensorCores for v2, v3, v4 and v5p, and
 * chips for v5e (`v5litepod-N`) and v6e.
 */

export type TpuGenerationId = 'v2' | 'v3' | 'v4' | 'v5e' | 'v5p' | 'v6e';

export interface TpuSlice {
  /** Accelerator type as `gcloud compute tpus tpu-vm create --accelerator-type` takes it. */
  name: string;
  chips: number;
  hosts: number;
  /** Chips per dimension, e.g. `2x2x4`. */
  topology: string;
}

/** One Cloud TPU generation and the slices it comes in. */
export interface TpuGeneration {
  id: TpuGenerationId;
  /** Prefix of slice names: `v5litepod` for v5e, else the id. */
  prefix: string;
  /** TensorCores per chip. */
  coresPerChip: number;
  /**
   * Devices TensorFlow sees per chip: v4 and v5p run their two TensorCores as
   * one megacore device; v2 and v3 expose each core.
   */
  tfDevicesPerChip: number;
  /** Chips per host in multi-host slices. */
  chipsPerHost: number;
  /** Only PJRT runtimes support this generation (no StreamExecutor `-se`). */
  pjrtOnly: boolean;
  slices: readonly TpuSlice[];
}

/** Builds slices whose name counts TensorCores (2 per chip) with 4 chips per host. */
function coreNamedSlices(prefix: string, rows: readonly [chips: number, topology: string][]): TpuSlice[] {
  return rows.map(([chips, topology]) => ({
    name: `${prefix}-${chips * 2}`,
    chips,
    hosts: Math.max(1, chips / 4),
    topology,
  }));
}

/**
 * Builds slices whose name counts chips; up to `singleHostChips` fit one host,
 * bigger slices use 4-chip hosts.
 */
function chipNamedSlices(
  prefix: string,
  singleHostChips: number,
  rows: readonly [chips: number, topology: string][],
): TpuSlice[] {
  return rows.map(([chips, topology]) => ({
    name: `${prefix}-${chips}`,
    chips,
    hosts: chips <= singleHostChips ? 1 : chips / 4,
    topology,
  }));
}

/** Every Cloud TPU generation with its slices, topologies and chips per host. */
export const TPU_GENERATIONS: readonly TpuGeneration[] = [
  {
    id: 'v2',
    prefix: 'v2',
    coresPerChip: 2,
    tfDevicesPerChip: 2,
    chipsPerHost: 4,
    pjrtOnly: false,
    slices: coreNamedSlices('v2', [
      [4, '2x2'],
      [16, '4x4'],
      [64, '8x8'],
      [128, '8x16'],
      [256, '16x16'],
    ]),
  },
  {
    id: 'v3',
    prefix: 'v3',
    coresPerChip: 2,
    tfDevicesPerChip: 2,
    chipsPerHost: 4,
    pjrtOnly: false,
    slices: coreNamedSlices('v3', [
      [4, '2x2'],
      [16, '4x4'],
      [32, '4x8'],
      [64, '8x8'],
      [128, '8x16'],
      [256, '16x16'],
      [512, '16x32'],
      [1024, '32x32'],
    ]),
  },
  {
    id: 'v4',
    prefix: 'v4',
    coresPerChip: 2,
    tfDevicesPerChip: 1,
    chipsPerHost: 4,
    pjrtOnly: false,
    slices: coreNamedSlices('v4', [
      [4, '2x2x1'],
      [8, '2x2x2'],
      [16, '2x2x4'],
      [32, '2x4x4'],
      [64, '4x4x4'],
      [128, '4x4x8'],
      [256, '4x8x8'],
      [512, '8x8x8'],
      [768, '8x8x12'],
      [1024, '8x8x16'],
      [2048, '8x16x16'],
    ]),
  },
  {
    id: 'v5e',
    prefix: 'v5litepod',
    coresPerChip: 1,
    tfDevicesPerChip: 1,
    chipsPerHost: 4,
    pjrtOnly: true,
    slices: chipNamedSlices('v5litepod', 8, [
      [1, '1x1'],
      [4, '2x2'],
      [8, '2x4'],
      [16, '4x4'],
      [32, '4x8'],
      [64, '8x8'],
      [128, '8x16'],
      [256, '16x16'],
    ]),
  },
  {
    id: 'v5p',
    prefix: 'v5p',
    coresPerChip: 2,
    tfDevicesPerChip: 1,
    chipsPerHost: 4,
    pjrtOnly: true,
    slices: coreNamedSlices('v5p', [
      [4, '2x2x1'],
      [8, '2x2x2'],
      [16, '2x2x4'],
      [32, '2x4x4'],
      [64, '4x4x4'],
      [128, '4x4x8'],
      [256, '4x8x8'],
      [512, '8x8x8'],
      [1024, '8x8x16'],
      [2048, '8x16x16'],
      [4096, '16x16x16'],
      [6144, '16x16x24'],
    ]),
  },
  {
    id: 'v6e',
    prefix: 'v6e',
    coresPerChip: 1,
    tfDevicesPerChip: 1,
    chipsPerHost: 4,
    pjrtOnly: true,
    slices: chipNamedSlices('v6e', 8, [
      [1, '1x1'],
      [4, '2x2'],
      [8, '2x4'],
      [16, '4x4'],
      [32, '4x8'],
      [64, '8x8'],
      [128, '8x16'],
      [256, '16x16'],
    ]),
  },
];

export const TPU_SLICE_NAMES: readonly string[] = TPU_GENERATIONS.flatMap((g) => g.slices.map((s) => s.name));

/** A slice name resolved to its generation and slice. */
export interface ResolvedTpu {
  generation: TpuGeneration;
  slice: TpuSlice;
}

/**
 * The name the catalog (and Google Cloud) gives a slice, for the name users
 * type: `v5e-32` is `v5litepod-32` (the generation's id where its slices
 * carry another prefix). Other names are returned as they are.
 */
export function canonicalTpuType(name: string): string {
  for (const generation of TPU_GENERATIONS) {
    if (generation.id !== generation.prefix && name.startsWith(`${generation.id}-`)) {
      return `${generation.prefix}-${name.slice(generation.id.length + 1)}`;
    }
  }
  return name;
}

/** The generation and slice for an accelerator type like `v4-32` (or `v5e-32`, see canonicalTpuType), or undefined. */
export function findTpuSlice(name: string): ResolvedTpu | undefined {
  const canonical = canonicalTpuType(name);
  for (const generation of TPU_GENERATIONS) {
    const slice = generation.slices.find((s) => s.name === canonical);
    if (slice) return { generation, slice };
  }
  return undefined;
}

/** The generation a slice name claims by its prefix, even when the size is wrong. */
export function findTpuGenerationByName(name: string): TpuGeneration | undefined {
  const prefix = canonicalTpuType(name.toLowerCase()).replace(/-\d*$/, '');
  return TPU_GENERATIONS.find((g) => g.prefix === prefix);
}

/** Devices TensorFlow sees in the whole slice (what `num_replicas_in_sync` reports). */
export function tfDevicesInSlice({ generation, slice }: ResolvedTpu): number {
  return slice.chips * generation.tfDevicesPerChip;
}
