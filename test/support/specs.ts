/** Small job specs for tests, built from a valid base with overrides. */

import type { JobSpecInput } from '../../src/spec/schema.ts';

export function baseSpec(overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name: 'test-job',
    strategy: 'one-device',
    container: { command: ['python3', 'train.py'] },
    ...overrides,
  };
}

export function vertexSpec(overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return baseSpec({
    container: { image: 'us-docker.pkg.dev/p/r/trainer:1' },
    output: 'gs://my-bucket/runs/x',
    provider: { name: 'vertex', project: 'my-project', region: 'us-central1' },
    ...overrides,
  });
}

/** A multi-worker-mirrored job on two Compute Engine VMs (n1-standard-8 + one T4 each). */
export function gceSpec(overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return baseSpec({
    strategy: 'multi-worker-mirrored',
    container: { image: 'us-docker.pkg.dev/p/r/trainer-gpu:1' },
    output: 'gs://my-bucket/runs/x',
    resources: {
      workers: {
        replicas: 2,
        machineType: 'n1-standard-8',
        accelerator: { type: 'nvidia-tesla-t4', count: 1 },
      },
    },
    provider: { name: 'gce', project: 'my-project', zone: 'us-central1-a' },
    ...overrides,
  });
}

export function tpuSpec(
  type: string,
  runtimeVersion: string,
  overrides: Partial<JobSpecInput> = {},
): JobSpecInput {
  return baseSpec({
    strategy: 'tpu',
    container: { image: 'us-docker.pkg.dev/p/r/trainer-tpu:1' },
    output: 'gs://my-bucket/runs/x',
    resources: { workers: { tpu: { type, runtimeVersion } } },
    provider: { name: 'tpu-vm', project: 'my-project', zone: 'us-central2-b' },
    ...overrides,
  });
}

/** Sets a value at a dotted path in a deep copy (creating objects on the way). */
export function withField(spec: JobSpecInput, path: string, value: unknown): JobSpecInput {
  const copy = structuredClone(spec) as unknown as Record<string, unknown>;
  const keys = path.split('.');
  let node = copy;
  for (const key of keys.slice(0, -1)) {
    node[key] ??= {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  return copy as unknown as JobSpecInput;
}
