/**
 * What the fake Cloud TPU offers: zones, accelerator types per zone and
 * runtime versions per TPU generation. These are the fake's OWN tables,
 * written from Google's pages, never imported from Strato's catalog
 * (`src/spec/catalog/tpu*.ts`): a wrong catalog row then fails a test
 * against the fake instead of agreeing with itself.
 *
 * Sources (read 2026-12):
 * - https://cloud.google.com/tpu/docs/regions-zones (generations per zone)
 * - https://cloud.google.com/tpu/docs/v2, /v3, /v4, /v5e, /v5p, /v6e (slice sizes, topologies, hosts)
 * - https://cloud.google.com/tpu/docs/runtimes (runtime versions per generation)
 * - https://cloud.google.com/tpu/docs/reference/rest/v2/AcceleratorConfig (the `type` enum)
 */

export interface FakeGeneration {
  /** `AcceleratorConfig.type` enum value. */
  configType: 'V2' | 'V3' | 'V4' | 'V5LITE_POD' | 'V5P' | 'V6E';
  /** Prefix of accelerator type names. */
  prefix: string;
  /** The number in a type name counts TensorCores (2 per chip) for v2–v4 and v5p; chips for v5e and v6e. */
  namedByCores: boolean;
  /** Chips per dimension are written with 3 numbers (v4, v5p: 3D torus) or 2. */
  dimensions: 2 | 3;
  /** The largest slice served by one host, in chips (bigger slices have 4 chips per host). */
  singleHostChips: number;
  /** Slice sizes, as the number in the type name. */
  sizes: readonly number[];
  /** Zones that offer the generation. */
  zones: readonly string[];
  /** Runtime versions the generation boots. */
  runtimes: readonly string[];
}

/** TensorFlow versions of the TPU VM runtimes; from 2.15 each comes as `-pjrt` and `-se`. */
const TF_BEFORE_SPLIT = ['2.12.0', '2.13.0', '2.14.0', '2.14.1'];
const TF_SPLIT = ['2.15.0', '2.16.1', '2.17.0', '2.18.0'];

/** `tpu-vm-tf-*` names: single host and `-pod`, with the suffixes of the version's era. */
function tfRuntimes(options: { legacy: boolean; se: boolean }): string[] {
  const names: string[] = [];
  if (options.legacy) {
    for (const v of TF_BEFORE_SPLIT) names.push(`tpu-vm-tf-${v}`, `tpu-vm-tf-${v}-pod`);
  }
  for (const v of TF_SPLIT) {
    names.push(`tpu-vm-tf-${v}-pjrt`, `tpu-vm-tf-${v}-pod-pjrt`);
    if (options.se) names.push(`tpu-vm-tf-${v}-se`, `tpu-vm-tf-${v}-pod-se`);
  }
  return names;
}

const OLDER = [...tfRuntimes({ legacy: true, se: true }), 'tpu-vm-base', 'tpu-ubuntu2204-base'];

export const FAKE_GENERATIONS: readonly FakeGeneration[] = [
  {
    configType: 'V2',
    prefix: 'v2',
    namedByCores: true,
    dimensions: 2,
    singleHostChips: 4,
    sizes: [8, 32, 128, 256, 512],
    zones: ['us-central1-b', 'us-central1-c', 'us-central1-f', 'europe-west4-a', 'asia-east1-c'],
    runtimes: OLDER,
  },
  {
    configType: 'V3',
    prefix: 'v3',
    namedByCores: true,
    dimensions: 2,
    singleHostChips: 4,
    sizes: [8, 32, 64, 128, 256, 512, 1024, 2048],
    zones: ['us-central1-a', 'us-central1-b', 'us-central1-f', 'europe-west4-a'],
    runtimes: OLDER,
  },
  {
    configType: 'V4',
    prefix: 'v4',
    namedByCores: true,
    dimensions: 3,
    singleHostChips: 4,
    sizes: [8, 16, 32, 64, 128, 256, 512, 1024, 1536, 2048, 4096],
    zones: ['us-central2-b'],
    runtimes: [...OLDER, 'tpu-vm-v4-base'],
  },
  {
    configType: 'V5LITE_POD',
    prefix: 'v5litepod',
    namedByCores: false,
    dimensions: 2,
    singleHostChips: 8,
    sizes: [1, 4, 8, 16, 32, 64, 128, 256],
    zones: ['us-central1-a', 'us-south1-a', 'us-west1-c', 'us-west4-a', 'europe-west4-b'],
    runtimes: [...tfRuntimes({ legacy: false, se: false }), 'v2-alpha-tpuv5-lite'],
  },
  {
    configType: 'V5P',
    prefix: 'v5p',
    namedByCores: true,
    dimensions: 3,
    singleHostChips: 4,
    sizes: [8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 12288],
    zones: ['us-central1-a', 'us-east5-a', 'europe-west4-b'],
    runtimes: [...tfRuntimes({ legacy: false, se: false }), 'v2-alpha-tpuv5'],
  },
  {
    configType: 'V6E',
    prefix: 'v6e',
    namedByCores: false,
    dimensions: 2,
    singleHostChips: 8,
    sizes: [1, 4, 8, 16, 32, 64, 128, 256],
    zones: ['us-central1-b', 'us-east1-d', 'us-east5-b', 'europe-west4-a', 'asia-northeast1-b'],
    runtimes: [...tfRuntimes({ legacy: false, se: false }), 'v2-alpha-tpuv6e'],
  },
];

/** Every zone the fake serves. */
export const FAKE_ZONES: readonly string[] = [...new Set(FAKE_GENERATIONS.flatMap((g) => g.zones))].sort();

/** Chips in a slice of this generation with this number in its name. */
export function chipsOf(generation: FakeGeneration, size: number): number {
  return generation.namedByCores ? size / 2 : size;
}

/** Hosts (TPU VM workers) of a slice: one up to `singleHostChips`, else 4 chips each. */
export function hostsOf(generation: FakeGeneration, size: number): number {
  const chips = chipsOf(generation, size);
  return chips <= generation.singleHostChips ? 1 : chips / 4;
}

/**
 * The default topology of a slice size: chips split over the dimensions as
 * evenly as powers of two allow, smallest first (`2x2x4` for 16 chips), as
 * the docs' topology tables list them (v4-1536: 768 chips = `8x8x12`).
 */
export function defaultTopology(generation: FakeGeneration, size: number): string {
  let chips = chipsOf(generation, size);
  const dims = new Array<number>(generation.dimensions).fill(1);
  // Multiply the smallest dimension by 2 until the product is reached; the last factor may be 3 (1536 = 8x8x24).
  while (chips > 1) {
    const factor = chips % 2 === 0 ? 2 : chips;
    const smallest = dims.indexOf(Math.min(...dims));
    dims[smallest]! *= factor;
    chips /= factor;
  }
  // Ascending, with the unit dimensions last (`2x2x1`, as the v4 table writes it).
  const sorted = dims.sort((a, b) => a - b);
  return [...sorted.filter((d) => d > 1), ...sorted.filter((d) => d === 1)].join('x');
}

/** A parsed accelerator type name, or undefined when no generation has it. */
export function findAcceleratorType(name: string): { generation: FakeGeneration; size: number } | undefined {
  const match = /^([a-z0-9]+)-(\d+)$/.exec(name);
  if (!match) return undefined;
  const generation = FAKE_GENERATIONS.find((g) => g.prefix === match[1]);
  const size = Number(match[2]);
  if (!generation?.sizes.includes(size)) return undefined;
  return { generation, size };
}

/**
 * The accelerator type of an `acceleratorConfig` (type + topology): the
 * slice with as many chips as the topology, when the generation offers it.
 */
export function typeOfConfig(configType: string, topology: string): string | undefined {
  const generation = FAKE_GENERATIONS.find((g) => g.configType === configType);
  if (!generation || !/^\d+(x\d+)+$/.test(topology)) return undefined;
  const dims = topology.split('x').map(Number);
  if (dims.length !== generation.dimensions) return undefined;
  const chips = dims.reduce((a, b) => a * b, 1);
  const size = generation.namedByCores ? chips * 2 : chips;
  return generation.sizes.includes(size) ? `${generation.prefix}-${size}` : undefined;
}

/** Accelerator types a zone offers. */
export function acceleratorTypesIn(zone: string): string[] {
  return FAKE_GENERATIONS.filter((g) => g.zones.includes(zone)).flatMap((g) =>
    g.sizes.map((size) => `${g.prefix}-${size}`),
  );
}

/** Runtime versions a zone lists: those of every generation it offers. */
export function runtimesIn(zone: string): string[] {
  return [
    ...new Set(FAKE_GENERATIONS.filter((g) => g.zones.includes(zone)).flatMap((g) => g.runtimes)),
  ].sort();
}
