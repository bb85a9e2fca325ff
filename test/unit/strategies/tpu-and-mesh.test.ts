import { describe, expect, it } from 'vitest';
import { planJob } from '../../../src/jobs/plan-job.ts';
import { parseJobSpec } from '../../../src/spec/load.ts';
import type { JobSpecInput } from '../../../src/spec/schema.ts';
import { tpuSpec, vertexSpec, withField } from '../../support/specs.ts';

const plan = (input: JobSpecInput) => planJob(parseJobSpec(input));

describe('tpu strategy', () => {
  it('GIVEN one host THEN TPUClusterResolver resolves "local" and PJRT variables are set', () => {
    const p = plan(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'));
    expect(p.replicas).toHaveLength(1);
    expect(p.replicas[0]!.env).toMatchObject({
      TPU_NAME: 'local',
      NEXT_PLUGGABLE_DEVICE_USE_C_API: 'true',
      TF_PLUGGABLE_DEVICE_LIBRARY_PATH: '/lib/libtpu.so',
    });
    expect(p.replicas[0]!.env.TF_CONFIG).toBeUndefined();
    expect(p.replicasInSync).toBe(4); // v4 megacore: one TF device per chip
  });

  it('GIVEN a v4-32 pod slice THEN host 0 runs the program with TPU_NAME naming the slice; the others serve the runtime', () => {
    const p = plan({ ...tpuSpec('v4-32', 'tpu-vm-tf-2.16.1-pod-pjrt'), name: 'pod' });
    expect(p.replicas.map((r) => [r.name, r.runsProgram, r.env.TPU_NAME])).toEqual([
      ['tpu-host-0', true, 'pod'],
      ['tpu-host-1', false, undefined],
      ['tpu-host-2', false, undefined],
      ['tpu-host-3', false, undefined],
    ]);
    expect(p.replicas[0]!.resources.tpu).toMatchObject({
      type: 'v4-32',
      topology: '2x2x4',
      chips: 16,
      hosts: 4,
    });
    expect(p.replicasInSync).toBe(16);
  });

  it('GIVEN a StreamExecutor pod runtime THEN host 0 must not load libtpu itself', () => {
    // v3 slices are offered in us-central1-a (not the v4 zone tpuSpec defaults to).
    const p = plan(
      tpuSpec('v3-32', 'tpu-vm-tf-2.14.0-pod', {
        provider: { name: 'tpu-vm', project: 'my-project', zone: 'us-central1-a' },
      }),
    );
    expect(p.replicas[0]!.env).toMatchObject({ TPU_LOAD_LIBRARY: '0' });
    expect(p.replicas[0]!.env.NEXT_PLUGGABLE_DEVICE_USE_C_API).toBeUndefined();
    expect(p.replicasInSync).toBe(32); // v3: every TensorCore is a device
  });

  it('GIVEN a TF 2.15+ runtime without -pjrt/-se THEN it warns and suggests the PJRT one', () => {
    const p = plan(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1'));
    expect(p.warnings.map((w) => w.fix)).toContain('use "tpu-vm-tf-2.16.1-pjrt"');
  });
});

describe('DTensor mesh', () => {
  it('GIVEN a mesh on a v5e pod slice THEN every host is a client with DTensor variables', () => {
    const p = plan({
      ...tpuSpec('v5litepod-16', 'tpu-vm-tf-2.16.1-pod-pjrt'),
      provider: { name: 'tpu-vm', project: 'my-project', zone: 'us-central1-a' },
      name: 'dt',
      mesh: { batch: 4, model: 4 },
    });
    const hosts = ['dt-tpu-host-0:2222', 'dt-tpu-host-1:2222', 'dt-tpu-host-2:2222', 'dt-tpu-host-3:2222'];
    expect(p.replicas.map((r) => r.runsProgram)).toEqual([true, true, true, true]);
    p.replicas.forEach((r, i) => {
      expect(r.env).toMatchObject({
        DTENSOR_JOBS: hosts.join(','),
        DTENSOR_CLIENT_ID: String(i),
        DTENSOR_NUM_CLIENTS: '4',
        DTENSOR_JOB_NAME: 'worker',
        STRATO_MESH: '{"batch":4,"model":4}',
      });
    });
  });

  it('GIVEN multi-worker GPUs THEN the mesh must cover workers × GPUs', () => {
    const spec = vertexSpec({
      strategy: 'multi-worker-mirrored',
      mesh: { batch: 2, model: 2 },
      resources: {
        workers: {
          replicas: 2,
          machineType: 'n1-standard-8',
          accelerator: { type: 'nvidia-tesla-t4', count: 2 },
        },
      },
    });
    expect(plan(spec).replicasInSync).toBe(4);
    expect(() => plan(withField(spec, 'mesh', { batch: 8 }))).toThrow(
      /covers 8 devices \(8\) but the plan has 4/,
    );
  });
});

describe('mirrored', () => {
  it('GIVEN one GPU THEN it warns that one-device would do', () => {
    const p = plan(
      vertexSpec({
        strategy: 'mirrored',
        resources: {
          workers: { machineType: 'n1-standard-8', accelerator: { type: 'nvidia-tesla-t4', count: 1 } },
        },
      }),
    );
    expect(p.warnings[0]?.fix).toMatch(/one-device/);
  });

  it('GIVEN an a2-highgpu-4g THEN its four A100s are implied and in sync', () => {
    const p = plan(
      vertexSpec({ strategy: 'mirrored', resources: { workers: { machineType: 'a2-highgpu-4g' } } }),
    );
    expect(p.replicas[0]!.resources.accelerator).toEqual({ type: 'nvidia-tesla-a100', count: 4 });
    expect(p.replicasInSync).toBe(4);
  });
});
