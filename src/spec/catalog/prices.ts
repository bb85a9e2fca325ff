/**
 * Hourly list prices in us-central1 (us-central2 for TPU v4, the region it is
 * sold in), on-demand and spot, for what `strato infra plan` shows as the
 * hourly cost of a stack.
 *
 * These are Google's published LIST prices as they stood on the pricing pages
 * cited on each row, written down from those pages on the date given in
 * `read`; they were not fetched by any build. Prices change (spot prices move
 * up to once a day), committed-use and negotiated discounts are not applied,
 * and disks, network and storage are not counted: the plan's cost is an
 * estimate of the machines only, to compare shapes, not a bill.
 */

import { findFixedGpuMachine } from './gpu.ts';
import { findTpuSlice, type TpuGenerationId } from './tpu.ts';

export interface HourlyPrice {
  /** USD per hour, on-demand. */
  onDemandUsd: number;
  /** USD per hour as a Spot VM / Spot TPU, when offered. */
  spotUsd?: number;
}

interface PriceRow extends HourlyPrice {
  /** The page the price was read from. */
  source: string;
  /** When it was read (YYYY-MM-DD). */
  read: string;
}

const VM_PRICING = 'https://cloud.google.com/compute/vm-instance-pricing';
const GPU_PRICING = 'https://cloud.google.com/compute/gpus-pricing';
const SPOT_PRICING = 'https://cloud.google.com/spot-vms/pricing';
const TPU_PRICING = 'https://cloud.google.com/tpu/pricing';
const READ = '2025-06-01';

/**
 * Machine types, per VM. For A2, A3 and G2 the GPUs are part of the machine
 * type and included here; N1 GPUs are attached and priced per GPU below.
 */
export const MACHINE_PRICES: Readonly<Record<string, PriceRow>> = {
  'n1-standard-4': { onDemandUsd: 0.19, spotUsd: 0.04, source: VM_PRICING, read: READ },
  'n1-standard-8': { onDemandUsd: 0.38, spotUsd: 0.08, source: VM_PRICING, read: READ },
  'n1-standard-16': { onDemandUsd: 0.76, spotUsd: 0.16, source: VM_PRICING, read: READ },
  'n1-standard-32': { onDemandUsd: 1.52, spotUsd: 0.32, source: VM_PRICING, read: READ },
  'n1-highmem-8': { onDemandUsd: 0.473, spotUsd: 0.1, source: VM_PRICING, read: READ },
  'n1-highmem-16': { onDemandUsd: 0.946, spotUsd: 0.2, source: VM_PRICING, read: READ },
  'a2-highgpu-1g': { onDemandUsd: 3.67, spotUsd: 1.1, source: GPU_PRICING, read: READ },
  'a2-highgpu-2g': { onDemandUsd: 7.35, spotUsd: 2.2, source: GPU_PRICING, read: READ },
  'a2-highgpu-4g': { onDemandUsd: 14.69, spotUsd: 4.41, source: GPU_PRICING, read: READ },
  'a2-highgpu-8g': { onDemandUsd: 29.39, spotUsd: 8.82, source: GPU_PRICING, read: READ },
  'a2-ultragpu-1g': { onDemandUsd: 5.07, spotUsd: 1.6, source: GPU_PRICING, read: READ },
  'a2-ultragpu-8g': { onDemandUsd: 40.55, spotUsd: 12.8, source: GPU_PRICING, read: READ },
  'a3-highgpu-8g': { onDemandUsd: 88.49, spotUsd: 26.55, source: GPU_PRICING, read: READ },
  'g2-standard-4': { onDemandUsd: 0.71, spotUsd: 0.28, source: GPU_PRICING, read: READ },
  'g2-standard-8': { onDemandUsd: 0.85, spotUsd: 0.34, source: GPU_PRICING, read: READ },
  'g2-standard-12': { onDemandUsd: 1.0, spotUsd: 0.4, source: GPU_PRICING, read: READ },
  'g2-standard-16': { onDemandUsd: 1.15, spotUsd: 0.46, source: GPU_PRICING, read: READ },
  'g2-standard-24': { onDemandUsd: 2.0, spotUsd: 0.8, source: GPU_PRICING, read: READ },
  'g2-standard-32': { onDemandUsd: 1.73, spotUsd: 0.69, source: GPU_PRICING, read: READ },
  'g2-standard-48': { onDemandUsd: 4.0, spotUsd: 1.6, source: GPU_PRICING, read: READ },
  'g2-standard-96': { onDemandUsd: 8.0, spotUsd: 3.2, source: GPU_PRICING, read: READ },
};

/** GPUs attached to N1 machines, per GPU. */
export const ATTACHED_GPU_PRICES: Readonly<Record<string, PriceRow>> = {
  'nvidia-tesla-t4': {
    onDemandUsd: 0.35,
    spotUsd: 0.14,
    source: `${GPU_PRICING} ${SPOT_PRICING}`,
    read: READ,
  },
  'nvidia-tesla-p4': {
    onDemandUsd: 0.6,
    spotUsd: 0.24,
    source: `${GPU_PRICING} ${SPOT_PRICING}`,
    read: READ,
  },
  'nvidia-tesla-v100': {
    onDemandUsd: 2.48,
    spotUsd: 0.99,
    source: `${GPU_PRICING} ${SPOT_PRICING}`,
    read: READ,
  },
  'nvidia-tesla-p100': {
    onDemandUsd: 1.46,
    spotUsd: 0.58,
    source: `${GPU_PRICING} ${SPOT_PRICING}`,
    read: READ,
  },
};

/** Cloud TPU, per chip-hour, by generation. */
export const TPU_CHIP_PRICES: Readonly<Record<TpuGenerationId, PriceRow>> = {
  // v2 and v3 are sold per 4-chip board (US$4.50 and US$8.00 an hour); here per chip.
  v2: { onDemandUsd: 1.125, spotUsd: 0.3375, source: TPU_PRICING, read: READ },
  v3: { onDemandUsd: 2.0, spotUsd: 0.6, source: TPU_PRICING, read: READ },
  v4: { onDemandUsd: 3.22, spotUsd: 0.97, source: TPU_PRICING, read: READ },
  v5e: { onDemandUsd: 1.2, spotUsd: 0.6, source: TPU_PRICING, read: READ },
  v5p: { onDemandUsd: 4.2, spotUsd: 2.1, source: TPU_PRICING, read: READ },
  v6e: { onDemandUsd: 2.7, spotUsd: 1.35, source: TPU_PRICING, read: READ },
};

function rounded(price: HourlyPrice): HourlyPrice {
  const cents = (usd: number) => Math.round(usd * 10_000) / 10_000;
  return {
    onDemandUsd: cents(price.onDemandUsd),
    ...(price.spotUsd === undefined ? {} : { spotUsd: cents(price.spotUsd) }),
  };
}

/**
 * Hourly price of one GPU VM: its machine type, plus its attached GPUs on
 * N1. Undefined when a part is not in the table (the plan then says the cost
 * is unknown rather than showing a wrong total).
 */
export function gpuVmHourlyPrice(
  machineType: string,
  attached?: { type: string; count: number },
): HourlyPrice | undefined {
  const machine = MACHINE_PRICES[machineType];
  if (!machine) return undefined;
  if (!attached || attached.count === 0 || findFixedGpuMachine(machineType)) return rounded(machine);
  const gpu = ATTACHED_GPU_PRICES[attached.type];
  if (!gpu) return undefined;
  const spot =
    machine.spotUsd !== undefined && gpu.spotUsd !== undefined
      ? machine.spotUsd + gpu.spotUsd * attached.count
      : undefined;
  return rounded({
    onDemandUsd: machine.onDemandUsd + gpu.onDemandUsd * attached.count,
    ...(spot === undefined ? {} : { spotUsd: spot }),
  });
}

/** Hourly price of a TPU slice (`v4-32`, `v5litepod-16`, …): its chips times the generation's chip-hour. */
export function tpuSliceHourlyPrice(acceleratorType: string): HourlyPrice | undefined {
  const resolved = findTpuSlice(acceleratorType);
  if (!resolved) return undefined;
  const row = TPU_CHIP_PRICES[resolved.generation.id];
  const chips = resolved.slice.chips;
  return rounded({
    onDemandUsd: row.onDemandUsd * chips,
    ...(row.spotUsd === undefined ? {} : { spotUsd: row.spotUsd * chips }),
  });
}
