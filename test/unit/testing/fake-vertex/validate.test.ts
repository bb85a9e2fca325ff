/**
 * The fake refuses what Vertex refuses, and accepts every body Strato
 * renders (so the golden CustomJobs and the fake agree).
 */

import { describe, expect, it } from 'vitest';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import { renderCustomJob } from '../../../../src/providers/vertex/custom-job.ts';
import { parseJobSpec } from '../../../../src/spec/load.ts';
import type {
  CreateCustomJobRequest,
  WorkerPoolSpecMessage,
} from '../../../../src/testing/fake-vertex/messages.ts';
import { formatViolations, validateCreateCustomJob } from '../../../../src/testing/fake-vertex/validate.ts';
import { vertexSpec } from '../../../support/specs.ts';

const PARENT = 'projects/my-project/locations/us-central1';

function pool(overrides: Partial<WorkerPoolSpecMessage> = {}): WorkerPoolSpecMessage {
  return {
    machineSpec: { machineType: 'n1-standard-4' },
    replicaCount: '1',
    containerSpec: { imageUri: 'us-docker.pkg.dev/p/r/t:1' },
    ...overrides,
  };
}

function request(pools: WorkerPoolSpecMessage[], extra: Partial<CreateCustomJobRequest['customJob']> = {}) {
  return {
    parent: PARENT,
    customJob: {
      displayName: 'job',
      jobSpec: { workerPoolSpecs: pools, baseOutputDirectory: { outputUriPrefix: 'gs://b/run' } },
      ...extra,
    },
  };
}

function fields(req: CreateCustomJobRequest): string[] {
  return validateCreateCustomJob(req).map((v) => v.field);
}

describe('fake Vertex validation', () => {
  it('accepts a plain job', () => {
    expect(validateCreateCustomJob(request([pool()]))).toEqual([]);
  });

  it.each([
    [
      'pool 0 with two replicas',
      request([pool({ replicaCount: '2' })]),
      'job_spec.worker_pool_specs[0].replica_count',
    ],
    ['an empty pool 0', request([{}, pool()]), 'job_spec.worker_pool_specs[0]'],
    ['no pools', request([]), 'job_spec.worker_pool_specs'],
    ['no display name', request([pool()], { displayName: '' }), 'custom_job.display_name'],
    [
      'a machine type Vertex does not train on',
      request([pool({ machineSpec: { machineType: 'n1-standard-1' } })]),
      'job_spec.worker_pool_specs[0].machine_spec.machine_type',
    ],
    [
      'no machine type',
      request([pool({ machineSpec: {} })]),
      'job_spec.worker_pool_specs[0].machine_spec.machine_type',
    ],
    [
      '3 T4s on N1',
      request([
        pool({
          machineSpec: {
            machineType: 'n1-standard-8',
            acceleratorType: 'NVIDIA_TESLA_T4',
            acceleratorCount: 3,
          },
        }),
      ]),
      'job_spec.worker_pool_specs[0].machine_spec.accelerator_count',
    ],
    [
      'too many vCPUs for one V100',
      request([
        pool({
          machineSpec: {
            machineType: 'n1-standard-16',
            acceleratorType: 'NVIDIA_TESLA_V100',
            acceleratorCount: 1,
          },
        }),
      ]),
      'job_spec.worker_pool_specs[0].machine_spec.accelerator_count',
    ],
    [
      'a T4 on an A2 machine',
      request([
        pool({
          machineSpec: {
            machineType: 'a2-highgpu-1g',
            acceleratorType: 'NVIDIA_TESLA_T4',
            acceleratorCount: 1,
          },
        }),
      ]),
      'job_spec.worker_pool_specs[0].machine_spec.accelerator_count',
    ],
    [
      'an A2 machine without its GPUs',
      request([pool({ machineSpec: { machineType: 'a2-highgpu-1g' } })]),
      'job_spec.worker_pool_specs[0].machine_spec.accelerator_type',
    ],
    [
      'cloud-tpu with 4 cores',
      request([
        pool({ machineSpec: { machineType: 'cloud-tpu', acceleratorType: 'TPU_V3', acceleratorCount: 4 } }),
      ]),
      'job_spec.worker_pool_specs[0].machine_spec.accelerator_type',
    ],
    [
      'TPU_V2 on a CPU machine',
      request([
        pool({
          machineSpec: { machineType: 'n1-standard-8', acceleratorType: 'TPU_V2', acceleratorCount: 8 },
        }),
      ]),
      'job_spec.worker_pool_specs[0].machine_spec.accelerator_type',
    ],
    [
      'a v5e topology the machine type has not',
      request([pool({ machineSpec: { machineType: 'ct5lp-hightpu-4t', tpuTopology: '2x8' } })]),
      'job_spec.worker_pool_specs[0].machine_spec.tpu_topology',
    ],
    [
      'a TPU VM without topology',
      request([pool({ machineSpec: { machineType: 'ct6e-standard-4t' } })]),
      'job_spec.worker_pool_specs[0].machine_spec.tpu_topology',
    ],
    [
      'a topology on a CPU machine',
      request([pool({ machineSpec: { machineType: 'n1-standard-8', tpuTopology: '2x2' } })]),
      'job_spec.worker_pool_specs[0].machine_spec.tpu_topology',
    ],
    [
      'a TPU outside pool 0',
      request([pool(), pool({ machineSpec: { machineType: 'ct5lp-hightpu-1t', tpuTopology: '1x1' } })]),
      'job_spec.worker_pool_specs[1].machine_spec.machine_type',
    ],
    [
      'no image',
      request([pool({ containerSpec: {} })]),
      'job_spec.worker_pool_specs[0].container_spec.image_uri',
    ],
    [
      'a bad env name',
      request([pool({ containerSpec: { imageUri: 'i', env: [{ name: '1X', value: '' }] } })]),
      'job_spec.worker_pool_specs[0].container_spec.env[0].name',
    ],
    ['a bad label', request([pool()], { labels: { Team: 'x' } }), 'custom_job.labels[Team]'],
    [
      'an S3 output',
      request([pool()], {
        jobSpec: { workerPoolSpecs: [pool()], baseOutputDirectory: { outputUriPrefix: 's3://b/r' } },
      }),
      'job_spec.base_output_directory.output_uri_prefix',
    ],
    [
      'a region Vertex does not have',
      { ...request([pool()]), parent: 'projects/p/locations/us-central2' },
      'parent',
    ],
    [
      'max wait without FLEX_START',
      request([pool()], {
        jobSpec: {
          workerPoolSpecs: [pool()],
          scheduling: { strategy: 'SPOT', maxWaitDuration: { seconds: '60' } },
        },
      }),
      'job_spec.scheduling.max_wait_duration',
    ],
  ])('refuses %s', (_what, req, field) => {
    expect(fields(req as CreateCustomJobRequest)).toContain(field);
  });

  it('words errors as the service does', () => {
    const text = formatViolations(validateCreateCustomJob(request([pool({ replicaCount: '2' })])));
    expect(text).toBe(
      'List of found errors:\t1.Field: job_spec.worker_pool_specs[0].replica_count; Message: The first worker pool must have exactly 1 replica, got 2.\t',
    );
  });

  it('accepts every CustomJob Strato renders, GPU, CPU and TPU', () => {
    const accepted: string[] = [];
    const specs = [
      vertexSpec({ resources: { workers: { machineType: 'n1-standard-4' } } }),
      vertexSpec({
        strategy: 'parameter-server',
        resources: {
          chief: { machineType: 'n1-standard-4' },
          workers: {
            replicas: 2,
            machineType: 'n1-standard-8',
            accelerator: { type: 'nvidia-tesla-t4', count: 1 },
          },
          ps: { replicas: 2, machineType: 'n1-highmem-8' },
          evaluator: { machineType: 'n1-standard-4' },
        },
      }),
      vertexSpec({
        strategy: 'multi-worker-mirrored',
        resources: {
          workers: { replicas: 4, machineType: 'g2-standard-12' },
          evaluator: { machineType: 'e2-standard-4' },
        },
      }),
      ...[
        ['v3-8', 'tpu-vm-tf-2.14.0'],
        ['v5litepod-16', 'tpu-vm-tf-2.16.1-pod-pjrt'],
        ['v5p-8', 'tpu-vm-tf-2.16.1-pjrt'],
        ['v6e-8', 'tpu-vm-tf-2.16.1-pjrt'],
      ].map(([type, runtimeVersion]) =>
        vertexSpec({
          strategy: 'tpu',
          resources: { workers: { tpu: { type: type!, runtimeVersion: runtimeVersion! } } },
        }),
      ),
    ];
    for (const spec of specs) {
      const body = renderCustomJob(planJob(parseJobSpec(spec)), { jobId: 'job-1' });
      const violations = validateCreateCustomJob({
        parent: PARENT,
        customJob: structuredClone(body) as never,
      });
      expect(violations, JSON.stringify(body.jobSpec.workerPoolSpecs)).toEqual([]);
      accepted.push(body.displayName);
    }
    expect(accepted).toHaveLength(specs.length);
  });
});
