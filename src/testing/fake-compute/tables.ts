/**
 * What the fake Compute Engine offers and refuses: zones, machine types,
 * accelerator types and image families. These tables are the fake's own,
 * written from Google's documentation and deliberately NOT derived from
 * Strato's catalog (`src/spec/catalog`), so a wrong catalog row is caught by
 * a test that drives the fake instead of being copied into it.
 *
 * Sources:
 * - GPU zones: https://cloud.google.com/compute/docs/gpus/gpu-regions-zones
 * - GPU machine types, N1 GPU counts and vCPU limits: https://cloud.google.com/compute/docs/gpus
 * - A2, A3, G2 shapes: https://cloud.google.com/compute/docs/accelerator-optimized-machines
 * - General-purpose shapes: https://cloud.google.com/compute/docs/general-purpose-machines
 * - Deep Learning VM families: https://cloud.google.com/deep-learning-vm/docs/images
 * A subset of the real world: a handful of zones, enough to tell a GPU that
 * exists in a zone from one that does not.
 */

export interface ZoneRow {
  name: string;
  region: string;
  /** Accelerator types offered in the zone. */
  accelerators: readonly string[];
}

const A100 = 'nvidia-tesla-a100';
const A100_80 = 'nvidia-a100-80gb';
const H100 = 'nvidia-h100-80gb';
const L4 = 'nvidia-l4';
const T4 = 'nvidia-tesla-t4';
const V100 = 'nvidia-tesla-v100';
const P100 = 'nvidia-tesla-p100';
const P4 = 'nvidia-tesla-p4';

export const ZONES: readonly ZoneRow[] = [
  { name: 'us-central1-a', region: 'us-central1', accelerators: [A100, H100, L4, T4, V100, P4] },
  { name: 'us-central1-b', region: 'us-central1', accelerators: [A100, L4, T4, V100] },
  {
    name: 'us-central1-c',
    region: 'us-central1',
    accelerators: [A100, A100_80, H100, L4, T4, V100, P100, P4],
  },
  { name: 'us-central1-f', region: 'us-central1', accelerators: [A100, T4, V100, P100] },
  { name: 'us-east1-b', region: 'us-east1', accelerators: [L4, P100] },
  { name: 'us-east1-c', region: 'us-east1', accelerators: [T4, V100, P100] },
  { name: 'us-east1-d', region: 'us-east1', accelerators: [T4] },
  { name: 'us-west1-a', region: 'us-west1', accelerators: [H100, L4, T4, V100, P100] },
  { name: 'us-west1-b', region: 'us-west1', accelerators: [A100, L4, T4, V100, P100] },
  { name: 'europe-west4-a', region: 'europe-west4', accelerators: [A100, A100_80, H100, L4, T4, V100, P100] },
  { name: 'europe-west4-b', region: 'europe-west4', accelerators: [A100, H100, L4, T4, V100, P4] },
  { name: 'asia-east1-c', region: 'asia-east1', accelerators: [L4, T4, V100, P100] },
];

export const REGIONS: readonly string[] = [...new Set(ZONES.map((z) => z.region))];

/** Largest count of each accelerator on one VM (the acceleratorTypes `maximumCardsPerInstance`). */
export const ACCELERATORS: Readonly<Record<string, { description: string; maxCards: number }>> = {
  [A100]: { description: 'NVIDIA A100 40GB', maxCards: 16 },
  [A100_80]: { description: 'NVIDIA A100 80GB', maxCards: 8 },
  [H100]: { description: 'NVIDIA H100 80GB', maxCards: 8 },
  [L4]: { description: 'NVIDIA L4', maxCards: 8 },
  [T4]: { description: 'NVIDIA T4', maxCards: 4 },
  [V100]: { description: 'NVIDIA V100', maxCards: 8 },
  [P100]: { description: 'NVIDIA Tesla P100', maxCards: 4 },
  [P4]: { description: 'NVIDIA Tesla P4', maxCards: 4 },
};

/**
 * N1 with attached GPUs: the counts a GPU model allows and, per count, the
 * most vCPUs the machine may have ("N1 machine types with GPUs" table).
 */
export const N1_GPU_COUNTS: Readonly<Record<string, Readonly<Record<number, number>>>> = {
  [T4]: { 1: 48, 2: 48, 4: 96 },
  [P4]: { 1: 24, 2: 48, 4: 96 },
  // 4 × P100: 64 vCPUs in some zones and 96 in others; the fake takes the lower, everywhere.
  [P100]: { 1: 16, 2: 32, 4: 64 },
  [V100]: { 1: 12, 2: 24, 4: 48, 8: 96 },
};

export interface MachineTypeRow {
  name: string;
  guestCpus: number;
  memoryMb: number;
  /** Accelerator-optimized shapes carry their GPUs; `guestAccelerators` must then stay empty. */
  gpus?: { type: string; count: number };
}

function gb(n: number): number {
  return Math.round(n * 1024);
}

/** General-purpose shapes, offered in every zone. */
const GENERAL: MachineTypeRow[] = [
  ...[1, 2, 4, 8, 16, 32, 64, 96].map((n) => ({
    name: `n1-standard-${n}`,
    guestCpus: n,
    memoryMb: gb(n * 3.75),
  })),
  ...[2, 4, 8, 16, 32, 64, 96].map((n) => ({ name: `n1-highmem-${n}`, guestCpus: n, memoryMb: gb(n * 6.5) })),
  ...[2, 4, 8, 16, 32, 64, 96].map((n) => ({ name: `n1-highcpu-${n}`, guestCpus: n, memoryMb: gb(n * 0.9) })),
  ...[2, 4, 8, 16, 32].map((n) => ({ name: `e2-standard-${n}`, guestCpus: n, memoryMb: gb(n * 4) })),
  ...[2, 4, 8, 16, 32, 64, 80].map((n) => ({ name: `n2-standard-${n}`, guestCpus: n, memoryMb: gb(n * 4) })),
];

/** Accelerator-optimized shapes, offered where their GPU is. */
const WITH_GPUS: MachineTypeRow[] = [
  { name: 'a2-highgpu-1g', guestCpus: 12, memoryMb: gb(85), gpus: { type: A100, count: 1 } },
  { name: 'a2-highgpu-2g', guestCpus: 24, memoryMb: gb(170), gpus: { type: A100, count: 2 } },
  { name: 'a2-highgpu-4g', guestCpus: 48, memoryMb: gb(340), gpus: { type: A100, count: 4 } },
  { name: 'a2-highgpu-8g', guestCpus: 96, memoryMb: gb(680), gpus: { type: A100, count: 8 } },
  { name: 'a2-megagpu-16g', guestCpus: 96, memoryMb: gb(1360), gpus: { type: A100, count: 16 } },
  { name: 'a2-ultragpu-1g', guestCpus: 12, memoryMb: gb(170), gpus: { type: A100_80, count: 1 } },
  { name: 'a2-ultragpu-2g', guestCpus: 24, memoryMb: gb(340), gpus: { type: A100_80, count: 2 } },
  { name: 'a2-ultragpu-4g', guestCpus: 48, memoryMb: gb(680), gpus: { type: A100_80, count: 4 } },
  { name: 'a2-ultragpu-8g', guestCpus: 96, memoryMb: gb(1360), gpus: { type: A100_80, count: 8 } },
  { name: 'a3-highgpu-1g', guestCpus: 26, memoryMb: gb(234), gpus: { type: H100, count: 1 } },
  { name: 'a3-highgpu-2g', guestCpus: 52, memoryMb: gb(468), gpus: { type: H100, count: 2 } },
  { name: 'a3-highgpu-4g', guestCpus: 104, memoryMb: gb(936), gpus: { type: H100, count: 4 } },
  { name: 'a3-highgpu-8g', guestCpus: 208, memoryMb: gb(1872), gpus: { type: H100, count: 8 } },
  { name: 'g2-standard-4', guestCpus: 4, memoryMb: gb(16), gpus: { type: L4, count: 1 } },
  { name: 'g2-standard-8', guestCpus: 8, memoryMb: gb(32), gpus: { type: L4, count: 1 } },
  { name: 'g2-standard-12', guestCpus: 12, memoryMb: gb(48), gpus: { type: L4, count: 1 } },
  { name: 'g2-standard-16', guestCpus: 16, memoryMb: gb(64), gpus: { type: L4, count: 1 } },
  { name: 'g2-standard-24', guestCpus: 24, memoryMb: gb(96), gpus: { type: L4, count: 2 } },
  { name: 'g2-standard-32', guestCpus: 32, memoryMb: gb(128), gpus: { type: L4, count: 1 } },
  { name: 'g2-standard-48', guestCpus: 48, memoryMb: gb(192), gpus: { type: L4, count: 4 } },
  { name: 'g2-standard-96', guestCpus: 96, memoryMb: gb(384), gpus: { type: L4, count: 8 } },
];

export function findZone(name: string): ZoneRow | undefined {
  return ZONES.find((z) => z.name === name);
}

/** The machine types a zone offers: every general-purpose shape, and the GPU shapes of its GPUs. */
export function machineTypesIn(zone: ZoneRow): MachineTypeRow[] {
  return [...GENERAL, ...WITH_GPUS.filter((m) => m.gpus && zone.accelerators.includes(m.gpus.type))];
}

export function findMachineType(zone: ZoneRow, name: string): MachineTypeRow | undefined {
  return machineTypesIn(zone).find((m) => m.name === name);
}

/** Only N1 takes attached GPUs (`guestAccelerators`); A2/A3/G2 bring theirs; E2 and N2 take none. */
export function takesAttachedGpus(machineType: string): boolean {
  return machineType.startsWith('n1-');
}

export interface ImageFamilyRow {
  project: string;
  family: string;
  /** The image the family points at now. */
  image: string;
  diskSizeGb: number;
}

/** Public image families (Deep Learning VM and a plain OS), each pointing at its newest image. */
export const IMAGE_FAMILIES: readonly ImageFamilyRow[] = [
  {
    project: 'deeplearning-platform-release',
    family: 'common-cu128-ubuntu-2204-nvidia-570',
    image: 'common-cu128-ubuntu-2204-nvidia-570-v20251120',
    diskSizeGb: 50,
  },
  {
    project: 'deeplearning-platform-release',
    family: 'common-cu124-debian-11-py310',
    image: 'common-cu124-v20250325-debian-11-py310',
    diskSizeGb: 50,
  },
  {
    project: 'deeplearning-platform-release',
    family: 'tf-2-17-cu124-ubuntu-2204-py310',
    image: 'tf-2-17-cu124-v20250325-ubuntu-2204-py310',
    diskSizeGb: 50,
  },
  {
    project: 'deeplearning-platform-release',
    family: 'common-cpu-debian-11-py310',
    image: 'common-cpu-v20250325-debian-11-py310',
    diskSizeGb: 50,
  },
  { project: 'debian-cloud', family: 'debian-12', image: 'debian-12-bookworm-v20251111', diskSizeGb: 10 },
];

/** Names of VMs, networks, firewalls: RFC 1035, 1-63 characters (the API's own pattern). */
export const RESOURCE_NAME = /^[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?$/;

/** Label keys and values (https://cloud.google.com/compute/docs/labeling-resources#requirements). */
export const LABEL_KEY = /^[\p{Ll}\p{Lo}][\p{Ll}\p{Lo}\p{N}_-]{0,62}$/u;
export const LABEL_VALUE = /^[\p{Ll}\p{Lo}\p{N}_-]{0,63}$/u;

/** Auto-mode VPC networks give each region a /20 out of this range (https://cloud.google.com/vpc/docs/subnets#ip-ranges). */
export const AUTO_MODE_RANGE = '10.128.0.0/9';
