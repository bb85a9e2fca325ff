import { describe, expect, it } from 'vitest';
import {
  ATTACHED_GPU_PRICES,
  gpuVmHourlyPrice,
  MACHINE_PRICES,
  TPU_CHIP_PRICES,
  tpuSliceHourlyPrice,
} from '../../../src/spec/catalog/prices.ts';

describe('the price table', () => {
  it('cites a cloud.google.com pricing page and the date it was read on every row', () => {
    for (const row of [
      ...Object.values(MACHINE_PRICES),
      ...Object.values(ATTACHED_GPU_PRICES),
      ...Object.values(TPU_CHIP_PRICES),
    ]) {
      expect(row.source).toMatch(/^https:\/\/cloud\.google\.com\/\S+/);
      expect(row.read).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(row.spotUsd ?? 0).toBeLessThan(row.onDemandUsd);
    }
  });

  it('prices an N1 VM as its machine plus its attached GPUs, and an A2 as the machine alone', () => {
    const machine = MACHINE_PRICES['n1-standard-8']!;
    const t4 = ATTACHED_GPU_PRICES['nvidia-tesla-t4']!;
    expect(gpuVmHourlyPrice('n1-standard-8', { type: 'nvidia-tesla-t4', count: 2 })?.onDemandUsd).toBeCloseTo(
      machine.onDemandUsd + 2 * t4.onDemandUsd,
      4,
    );
    expect(gpuVmHourlyPrice('a2-highgpu-1g', { type: 'nvidia-tesla-a100', count: 1 })).toEqual({
      onDemandUsd: MACHINE_PRICES['a2-highgpu-1g']!.onDemandUsd,
      spotUsd: MACHINE_PRICES['a2-highgpu-1g']!.spotUsd,
    });
    expect(gpuVmHourlyPrice('n1-standard-8', { type: 'nvidia-unknown', count: 1 })).toBeUndefined();
    expect(gpuVmHourlyPrice('e2-micro')).toBeUndefined();
  });

  it('prices a TPU slice as its chips times the chip-hour of its generation', () => {
    // v4-32 counts TensorCores: 16 chips.
    expect(tpuSliceHourlyPrice('v4-32')?.onDemandUsd).toBeCloseTo(16 * TPU_CHIP_PRICES.v4.onDemandUsd, 4);
    expect(tpuSliceHourlyPrice('v5litepod-8')?.spotUsd).toBeCloseTo(8 * TPU_CHIP_PRICES.v5e.spotUsd!, 4);
    expect(tpuSliceHourlyPrice('v4-31')).toBeUndefined();
  });
});
