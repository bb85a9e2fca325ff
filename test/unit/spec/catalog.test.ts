import { describe, expect, it } from 'vitest';
import { FIXED_GPU_MACHINES, GPU_TYPE_IDS, N1_GPU_LIMITS } from '../../../src/spec/catalog/gpu.ts';
import { findTpuSlice, TPU_GENERATIONS } from '../../../src/spec/catalog/tpu.ts';
import { checkTfRuntime, parseTfRuntime } from '../../../src/spec/catalog/tpu-runtime.ts';
import { closest } from '../../../src/spec/suggest.ts';

describe('TPU catalog', () => {
  const slices = TPU_GENERATIONS.flatMap((g) => g.slices.map((s) => ({ g, s })));

  it.each(slices.map(({ g, s }) => [s.name, g, s] as const))('%s is self-consistent', (_name, g, s) => {
    const dims = s.topology.split('x').map(Number);
    expect(dims.reduce((a, b) => a * b, 1)).toBe(s.chips);
    const nameCount = Number(s.name.split('-').at(-1));
    expect(nameCount).toBe(g.coresPerChip === 2 ? s.chips * 2 : s.chips);
    if (s.hosts > 1) expect(s.hosts * g.chipsPerHost).toBe(s.chips);
  });

  it('knows the slices the issue names', () => {
    expect(findTpuSlice('v4-32')?.slice).toMatchObject({ chips: 16, hosts: 4, topology: '2x2x4' });
    expect(findTpuSlice('v5litepod-16')?.slice).toMatchObject({ chips: 16, hosts: 4 });
    expect(findTpuSlice('v5litepod-8')?.slice).toMatchObject({ chips: 8, hosts: 1 });
    expect(findTpuSlice('v6e-8')?.slice.hosts).toBe(1);
    expect(findTpuSlice('v5p-8')?.slice).toMatchObject({ chips: 4, hosts: 1 });
    expect(findTpuSlice('v2-8')?.generation.tfDevicesPerChip).toBe(2);
  });
});

describe('TF runtime versions', () => {
  const v4 = TPU_GENERATIONS.find((g) => g.id === 'v4')!;

  it('parses the pattern tpu-vm-tf-X.Y.Z[-pod][-pjrt|-se]', () => {
    expect(parseTfRuntime('tpu-vm-tf-2.16.1-pod-pjrt')).toEqual({
      tfVersion: '2.16.1',
      major: 2,
      minor: 16,
      pod: true,
      variant: 'pjrt',
    });
    expect(parseTfRuntime('tpu-vm-tf-2.12.0')).toMatchObject({ pod: false, variant: undefined });
    expect(parseTfRuntime('tpu-vm-tf-2.16.1-pjrt-pod')).toBeUndefined();
  });

  it('accepts a matching runtime without complaint', () => {
    expect(checkTfRuntime('tpu-vm-tf-2.16.1-pod-pjrt', v4, true)).toEqual([]);
    expect(checkTfRuntime('tpu-vm-tf-2.12.0', v4, false)).toEqual([]);
  });

  it('refuses a -pjrt suffix before TF 2.15', () => {
    expect(checkTfRuntime('tpu-vm-tf-2.12.0-pjrt', v4, false)[0]?.severity).toBe('error');
  });
});

describe('GPU catalog', () => {
  it('only names GPU types it knows', () => {
    for (const m of FIXED_GPU_MACHINES) expect(GPU_TYPE_IDS).toContain(m.gpu);
    for (const gpu of Object.keys(N1_GPU_LIMITS)) expect(GPU_TYPE_IDS).toContain(gpu);
  });

  it('has the shapes the issue lists', () => {
    const names = FIXED_GPU_MACHINES.map((m) => m.machineType);
    expect(names).toEqual(
      expect.arrayContaining([
        'a2-highgpu-1g',
        'a2-highgpu-8g',
        'a2-ultragpu-4g',
        'a3-highgpu-8g',
        'g2-standard-48',
      ]),
    );
    expect(Object.keys(N1_GPU_LIMITS['nvidia-tesla-v100']!)).toEqual(['1', '2', '4', '8']);
    expect(Object.keys(N1_GPU_LIMITS['nvidia-tesla-t4']!)).toEqual(['1', '2', '4']);
  });
});

describe('did you mean', () => {
  it('finds near names, ignoring case and _ vs -', () => {
    expect(closest('NVIDIA_TESLA_T4', GPU_TYPE_IDS, 1)).toEqual(['nvidia-tesla-t4']);
    expect(closest('mirored', ['mirrored', 'one-device'], 1)).toEqual(['mirrored']);
    expect(closest('zzzz', ['mirrored', 'one-device'])).toEqual([]);
  });
});
