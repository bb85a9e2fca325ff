/**
 * GIVEN an invalid job spec, WHEN it is validated (schema, catalog, strategy
 * and provider rules together), THEN there is one issue per problem with the
 * field path, the value received, what is allowed and the fix.
 */

import { describe, expect, it } from 'vitest';
import { SpecError, type SpecIssue } from '../../../src/errors.ts';
import { planJob } from '../../../src/jobs/plan-job.ts';
import { parseJobSpec, parseYaml } from '../../../src/spec/load.ts';
import type { JobSpecInput } from '../../../src/spec/schema.ts';
import { baseSpec, gceSpec, tpuSpec, vertexSpec, withField } from '../../support/specs.ts';

function problemsOf(input: unknown): SpecIssue[] {
  try {
    planJob(parseJobSpec(input));
  } catch (error) {
    if (error instanceof SpecError) return [...error.issues];
    throw error;
  }
  return [];
}

interface Case {
  name: string;
  spec: unknown;
  path: string;
  message: RegExp;
  allowed?: string[];
  fix?: RegExp;
  received?: unknown;
}

const gpuWorkers = (machineType: string, type: string, count: number) =>
  vertexSpec({
    resources: { workers: { machineType, accelerator: { type, count } } },
  } as Partial<JobSpecInput>);

const ec2Workers = (workers: Record<string, unknown>, region?: string) =>
  baseSpec({
    container: { image: 'img:1' },
    resources: { workers },
    output: 's3://bucket/runs/test',
    provider: { name: 'ec2', stack: 'strato-training', ...(region ? { region } : {}) },
  } as Partial<JobSpecInput>);

const cases: Case[] = [
  {
    name: 'apiVersion missing',
    spec: { ...baseSpec(), apiVersion: undefined },
    path: 'apiVersion',
    message: /is required/,
    fix: /add apiVersion: strato.dev\/v1/,
  },
  {
    name: 'apiVersion wrong',
    spec: baseSpec({ apiVersion: 'strato.dev/v2' as 'strato.dev/v1' }),
    path: 'apiVersion',
    message: /must be "strato.dev\/v1"/,
    received: 'strato.dev/v2',
  },
  {
    name: 'kind wrong',
    spec: baseSpec({ kind: 'Jobs' as 'Job' }),
    path: 'kind',
    message: /must be "Job"/,
    fix: /did you mean "Job"/,
  },
  {
    name: 'name with capitals',
    spec: baseSpec({ name: 'My_Job' }),
    path: 'name',
    message: /lower-case letters, digits and "-"/,
    received: 'My_Job',
  },
  {
    name: 'name too long',
    spec: baseSpec({ name: 'a'.repeat(41) }),
    path: 'name',
    message: /at most 40 characters/,
  },
  {
    name: 'strategy misspelt',
    spec: baseSpec({ strategy: 'mirored' as 'mirrored' }),
    path: 'strategy',
    message: /not one of the allowed values/,
    allowed: ['one-device', 'mirrored', 'multi-worker-mirrored', 'parameter-server', 'tpu'],
    fix: /did you mean "mirrored"/,
  },
  {
    name: 'unknown top-level field',
    spec: { ...baseSpec(), strategey: 'tpu' },
    path: 'strategey',
    message: /not a known field/,
    fix: /did you mean "strategy"/,
  },
  {
    name: 'unknown nested field',
    spec: withField(baseSpec(), 'resources.workers.replica', 2),
    path: 'resources.workers.replica',
    message: /not a known field/,
    fix: /did you mean "replicas"/,
  },
  {
    name: 'zero replicas',
    spec: withField(baseSpec({ strategy: 'multi-worker-mirrored' }), 'resources.workers.replicas', 0),
    path: 'resources.workers.replicas',
    message: /must be ≥ 1/,
    received: 0,
  },
  {
    name: 'fractional replicas',
    spec: withField(baseSpec({ strategy: 'multi-worker-mirrored' }), 'resources.workers.replicas', 1.5),
    path: 'resources.workers.replicas',
    message: /integer/,
    received: 1.5,
  },
  {
    name: 'GPU type by its short name',
    spec: gpuWorkers('n1-standard-8', 'T4', 1),
    path: 'resources.workers.accelerator.type',
    message: /not one of the allowed values/,
    fix: /did you mean "nvidia-tesla-t4"/,
  },
  {
    name: 'GPU count N1 cannot take',
    spec: gpuWorkers('n1-standard-8', 'nvidia-tesla-t4', 3),
    path: 'resources.workers.accelerator.count',
    message: /in these counts only/,
    allowed: ['1', '2', '4'],
    received: 3,
  },
  {
    name: 'too many vCPUs for one V100',
    spec: gpuWorkers('n1-standard-96', 'nvidia-tesla-v100', 1),
    path: 'resources.workers.machineType',
    message: /at most 12 vCPUs/,
  },
  {
    name: 'A2 with the wrong GPU count',
    spec: gpuWorkers('a2-highgpu-4g', 'nvidia-tesla-a100', 8),
    path: 'resources.workers.accelerator',
    message: /comes with exactly 4 × nvidia-tesla-a100/,
  },
  {
    name: 'A2 shape that does not exist',
    spec: vertexSpec({ resources: { workers: { machineType: 'a2-highgpu-3g' } } }),
    path: 'resources.workers.machineType',
    message: /not a GPU machine type of this family/,
    fix: /did you mean "a2-highgpu-/,
  },
  {
    name: 'GPU on an E2 machine',
    spec: gpuWorkers('e2-standard-8', 'nvidia-tesla-t4', 1),
    path: 'resources.workers.machineType',
    message: /GPUs attach only to N1 machines/,
  },
  {
    name: 'N1 size that does not exist',
    spec: vertexSpec({ resources: { workers: { machineType: 'n1-standard-7' } } }),
    path: 'resources.workers.machineType',
    message: /not a predefined N1 machine type/,
    fix: /did you mean "n1-standard-/,
  },
  {
    name: 'L4 on an N1 machine',
    spec: gpuWorkers('n1-standard-8', 'nvidia-l4', 1),
    path: 'resources.workers.accelerator.type',
    message: /does not attach to N1 machines/,
    fix: /g2-standard-/,
  },
  {
    name: 'TPU slice size that does not exist',
    spec: tpuSpec('v4-30', 'tpu-vm-tf-2.16.1-pod-pjrt'),
    path: 'resources.workers.tpu.type',
    message: /not a v4 slice size/,
    fix: /did you mean "v4-32"/,
  },
  {
    name: 'TPU generation that does not exist',
    spec: tpuSpec('v9-8', 'tpu-vm-tf-2.16.1-pjrt'),
    path: 'resources.workers.tpu.type',
    message: /not a known TPU accelerator type/,
  },
  {
    name: 'TPU topology of another slice',
    spec: withField(tpuSpec('v4-32', 'tpu-vm-tf-2.16.1-pod-pjrt'), 'resources.workers.tpu.topology', '4x4x4'),
    path: 'resources.workers.tpu.topology',
    message: /not the topology of v4-32/,
    allowed: ['2x2x4'],
  },
  {
    name: 'multi-host slice without -pod',
    spec: tpuSpec('v4-32', 'tpu-vm-tf-2.16.1-pjrt'),
    path: 'resources.workers.tpu.runtimeVersion',
    message: /needs the "-pod" runtime/,
    fix: /tpu-vm-tf-2.16.1-pod-pjrt/,
  },
  {
    name: 'single host with -pod',
    spec: tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pod-pjrt'),
    path: 'resources.workers.tpu.runtimeVersion',
    message: /without "-pod"/,
    fix: /tpu-vm-tf-2.16.1-pjrt/,
  },
  {
    name: 'runtime that is not TensorFlow',
    spec: tpuSpec('v5p-8', 'v2-alpha-tpuv5'),
    path: 'resources.workers.tpu.runtimeVersion',
    message: /not a TensorFlow TPU VM runtime/,
  },
  {
    name: 'v5e with a StreamExecutor runtime',
    spec: tpuSpec('v5litepod-8', 'tpu-vm-tf-2.16.1-se'),
    path: 'resources.workers.tpu.runtimeVersion',
    message: /only with a PJRT runtime/,
  },
  {
    name: 'TPU and GPU on one role',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'resources.workers.accelerator', {
      type: 'nvidia-tesla-t4',
      count: 1,
    }),
    path: 'resources.workers.accelerator',
    message: /cannot be combined with tpu/,
  },
  {
    name: 'TPU with a machine type',
    spec: withField(
      tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'),
      'resources.workers.machineType',
      'n1-standard-8',
    ),
    path: 'resources.workers.machineType',
    message: /set by the TPU slice/,
  },
  {
    name: 'tpu strategy without a TPU',
    spec: vertexSpec({ strategy: 'tpu', resources: { workers: { machineType: 'n1-standard-8' } } }),
    path: 'resources.workers.tpu',
    message: /is required for strategy tpu/,
    fix: /tpu-vm-tf-/,
  },
  {
    name: 'TPU under a GPU strategy',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'strategy', 'mirrored'),
    path: 'resources.workers.tpu',
    message: /TPUs need strategy "tpu"/,
  },
  {
    name: 'two TPU slices',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'resources.workers.replicas', 2),
    path: 'resources.workers.replicas',
    message: /runs on one slice/,
  },
  {
    name: 'one-device with two GPUs',
    spec: gpuWorkers('n1-standard-8', 'nvidia-tesla-t4', 2),
    path: 'resources.workers.accelerator.count',
    message: /at most one GPU/,
    fix: /mirrored/,
  },
  {
    name: 'one-device with parameter servers',
    spec: withField(baseSpec(), 'resources.ps', { replicas: 1 }),
    path: 'resources.ps',
    message: /not used by one-device/,
  },
  {
    name: 'mirrored without GPUs',
    spec: baseSpec({ strategy: 'mirrored' }),
    path: 'resources.workers.accelerator',
    message: /at least one GPU/,
    fix: /one-device/,
  },
  {
    name: 'multi-worker with one worker',
    spec: withField(baseSpec({ strategy: 'multi-worker-mirrored' }), 'resources.workers.replicas', 1),
    path: 'resources.workers.replicas',
    message: /at least 2 training replicas/,
  },
  {
    name: 'multi-worker with parameter servers',
    spec: baseSpec({
      strategy: 'multi-worker-mirrored',
      resources: { workers: { replicas: 2 }, ps: { replicas: 1 } },
    }),
    path: 'resources.ps',
    message: /parameter servers belong to strategy parameter-server/,
  },
  {
    name: "multi-worker chief without the workers' GPUs",
    spec: vertexSpec({
      strategy: 'multi-worker-mirrored',
      resources: {
        chief: { machineType: 'n1-standard-8' },
        workers: {
          replicas: 2,
          machineType: 'n1-standard-8',
          accelerator: { type: 'nvidia-tesla-t4', count: 1 },
        },
      },
    }),
    path: 'resources.chief.accelerator',
    message: /as many GPUs as each worker \(1\)/,
  },
  {
    name: 'parameter-server without a chief',
    spec: baseSpec({
      strategy: 'parameter-server',
      resources: { workers: { replicas: 2 }, ps: { replicas: 1 } },
    }),
    path: 'resources.chief',
    message: /coordinator/,
  },
  {
    name: 'parameter-server without ps',
    spec: baseSpec({ strategy: 'parameter-server', resources: { chief: {}, workers: { replicas: 2 } } }),
    path: 'resources.ps',
    message: /holds the variables/,
  },
  {
    name: 'mesh with parameter servers',
    spec: baseSpec({
      strategy: 'parameter-server',
      mesh: { batch: 2 },
      resources: { chief: {}, workers: { replicas: 2 }, ps: { replicas: 1 } },
    }),
    path: 'mesh',
    message: /do not combine with parameter servers/,
  },
  {
    name: 'mesh bigger than the slice',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'mesh', { batch: 4, model: 2 }),
    path: 'mesh',
    message: /covers 8 devices \(4 × 2\) but the plan has 4/,
    fix: /multiply to 4/,
  },
  {
    name: 'mesh without dimensions',
    spec: baseSpec({ mesh: {} }),
    path: 'mesh',
    message: /at least one dimension/,
  },
  {
    name: 'reserved env var',
    spec: withField(baseSpec(), 'container.env', { TF_CONFIG: '{}' }),
    path: 'container.env.TF_CONFIG',
    message: /set by Strato/,
  },
  {
    name: 'env var with a dash',
    spec: withField(baseSpec(), 'container.env', { 'MY-VAR': 'x' }),
    path: 'container.env.MY-VAR',
    message: /environment variable name/,
  },
  {
    name: 'data env var used twice',
    spec: baseSpec({
      data: [
        { source: './a', env: 'DATA' },
        { source: './b', env: 'DATA' },
      ],
    }),
    path: 'data[1].env',
    message: /repeats data\[0\].env/,
  },
  {
    name: 'output without a scheme',
    spec: baseSpec({ output: 'my-bucket/runs' }),
    path: 'output',
    message: /object-store URI/,
    received: 'my-bucket/runs',
  },
  {
    name: 'vertex without a project',
    spec: withField(vertexSpec(), 'provider', { name: 'vertex', region: 'us-central1' }),
    path: 'provider.project',
    message: /is required/,
  },
  {
    name: 'unknown provider',
    spec: withField(baseSpec(), 'provider', { name: 'gcp' }),
    path: 'provider.name',
    message: /not one of the allowed values/,
    allowed: ['local', 'vertex', 'tpu-vm', 'gce', 'ec2'],
  },
  {
    name: 'vertex writing to file://',
    spec: vertexSpec({
      output: 'file:///tmp/runs',
      resources: { workers: { machineType: 'n1-standard-8' } },
    }),
    path: 'output',
    message: /cannot reach file:\/\/ URIs/,
    fix: /gs:\/\//,
  },
  {
    name: 'vertex without an image',
    spec: vertexSpec({
      container: { command: ['python3'] },
      resources: { workers: { machineType: 'n1-standard-8' } },
    }),
    path: 'container.image',
    message: /is required on vertex/,
  },
  {
    name: 'vertex without a machine type',
    spec: vertexSpec({ resources: { workers: {} } }),
    path: 'resources.workers.machineType',
    message: /is required on vertex/,
  },
  {
    name: 'local without a command',
    spec: baseSpec({ container: { image: 'x' } }),
    path: 'container.command',
    message: /required on local/,
  },
  {
    name: 'tpu-vm for a GPU strategy',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'strategy', 'one-device'),
    path: 'provider.name',
    message: /runs TPU jobs only/,
    fix: /local or vertex/,
  },
  {
    name: 'label key with capitals',
    spec: baseSpec({ labels: { Team: 'ml' } }),
    path: 'labels.Team',
    message: /label key/,
  },
  {
    name: 'negative restarts',
    spec: withField(baseSpec(), 'scheduling.maxRestarts', -1),
    path: 'scheduling.maxRestarts',
    message: /must be ≥ 0/,
  },
  {
    name: 'zero timeout',
    spec: withField(baseSpec(), 'scheduling.timeoutSec', 0),
    path: 'scheduling.timeoutSec',
    message: /must be ≥ 1/,
  },
  {
    name: 'zero cost cap',
    spec: withField(baseSpec(), 'scheduling.maxCostUsd', 0),
    path: 'scheduling.maxCostUsd',
    message: /must be > 0/,
  },
  {
    name: 'cost cap that is not a number',
    spec: withField(baseSpec(), 'scheduling.maxCostUsd', '12 dollars'),
    path: 'scheduling.maxCostUsd',
    message: /number/,
  },
  {
    name: 'region in capitals',
    spec: withField(vertexSpec(), 'provider.region', 'US-Central1'),
    path: 'provider.region',
    message: /region such as us-central1/,
  },
  {
    name: 'service account that is not an email',
    spec: withField(vertexSpec(), 'provider.serviceAccount', 'trainer'),
    path: 'provider.serviceAccount',
    message: /email/i,
  },
  {
    name: 'Vertex region that does not exist',
    spec: withField(
      vertexSpec({ resources: { workers: { machineType: 'n1-standard-8' } } }),
      'provider.region',
      'us-moon1',
    ),
    path: 'provider.region',
    message: /Vertex AI/,
  },
  {
    name: 'gce with both zone and zones',
    spec: withField(gceSpec(), 'provider.zones', ['us-central1-b']),
    path: 'provider.zones',
    message: /zone or zones, not both/,
    fix: /zones: \[us-central1-a, us-central1-b\]/,
  },
  {
    name: 'gce without a zone',
    spec: gceSpec({ provider: { name: 'gce', project: 'my-project' } }),
    path: 'provider.zone',
    message: /is required on gce/,
  },
  {
    name: 'gce with a GPU the machine type does not take',
    spec: withField(gceSpec(), 'resources.workers.machineType', 'n1-standard-96'),
    path: 'resources.workers.machineType',
    message: /vCPUs/,
  },
  {
    name: 'gce without a machine type',
    spec: gceSpec({ resources: { workers: { replicas: 2 } } }),
    path: 'resources.workers.machineType',
    message: /is required on gce/,
  },
  {
    name: 'gce for a TPU job',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'provider', {
      name: 'gce',
      project: 'my-project',
      zone: 'us-central1-a',
    }),
    path: 'provider.name',
    message: /cannot run TPU jobs/,
  },
  {
    name: 'tpu-vm slice the zone does not offer',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'provider.zone', 'us-central1-a'),
    path: 'provider.zone',
    message: /does not offer v4 TPUs/,
    allowed: ['us-central2-b'],
  },
  {
    name: 'tpu-vm standing slice that is not <stack>/<name>',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'provider.slice', 'pod'),
    path: 'provider.slice',
    message: /<stack>\/<name>/,
  },
  { name: 'empty document', spec: null, path: '', message: /is empty/ },
  {
    name: 'ec2 with a Compute Engine accelerator',
    spec: ec2Workers({ machineType: 'g5.12xlarge', accelerator: { type: 'nvidia-tesla-t4', count: 4 } }),
    path: 'resources.workers.accelerator',
    message: /an EC2 instance type comes with its GPUs/,
    fix: /set machineType to a type with 4 GPU\(s\), e\.g\. g5\.12xlarge/,
  },
  {
    name: 'ec2 instance type without GPUs',
    spec: ec2Workers({ machineType: 'm5.xlarge' }),
    path: 'resources.workers.machineType',
    message: /not an EC2 GPU instance type in the catalog/,
    received: 'm5.xlarge',
  },
  {
    name: 'ec2 region without the family',
    spec: ec2Workers({ machineType: 'p5.48xlarge' }, 'eu-west-1'),
    path: 'provider.region',
    message: /does not offer p5 instances/,
    received: 'eu-west-1',
  },
  {
    name: 'a run-time limit on a tpu-vm queued resource, which has none',
    spec: withField(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt'), 'scheduling.timeoutSec', 3600),
    path: 'scheduling.timeoutSec',
    message: /is not applied on tpu-vm: a TPU VM queued resource has no run-time limit/,
    received: 3600,
    fix: /strato cancel/,
  },
  {
    name: 'a run-time limit on ec2 instances',
    spec: withField(ec2Workers({ machineType: 'g5.xlarge' }), 'scheduling.timeoutSec', 600),
    path: 'scheduling.timeoutSec',
    message: /is not applied on ec2/,
  },
  {
    name: 'a run-time limit on standing gce VMs',
    spec: withField(
      {
        ...gpuWorkers('n1-standard-8', 'nvidia-tesla-t4', 1),
        provider: { name: 'gce', project: 'my-project', vms: 'lab/gpus' },
      },
      'scheduling.timeoutSec',
      600,
    ),
    path: 'scheduling.timeoutSec',
    message: /is not applied on gce: a stack's standing VMs/,
  },
  {
    name: 'ec2 stack name CloudFormation refuses',
    spec: { ...ec2Workers({}), provider: { name: 'ec2', stack: '1-stack' } },
    path: 'provider.stack',
    message: /must be a CloudFormation stack name/,
  },
];

describe('invalid job specs', () => {
  it('covers at least 30 distinct problems', () => {
    expect(new Set(cases.map((c) => c.name)).size).toBeGreaterThanOrEqual(30);
  });

  it.each(cases)('$name → $path', (c) => {
    const problems = problemsOf(c.spec);
    const problem = problems.find((p) => p.path === c.path);
    expect(problem, `no problem at ${c.path}; got ${JSON.stringify(problems, null, 1)}`).toBeDefined();
    expect(problem!.message).toMatch(c.message);
    if (c.allowed) expect(problem!.allowed).toEqual(c.allowed);
    if (c.fix) expect(problem!.fix).toMatch(c.fix);
    if ('received' in c) expect(problem!.received).toEqual(c.received);
  });

  it('lists every problem of a spec at once, not only the first', () => {
    const problems = problemsOf({
      ...baseSpec({ name: 'Bad Name', strategy: 'mirored' as 'mirrored' }),
      extra: 1,
    });
    expect(problems.map((p) => p.path).sort()).toEqual(['extra', 'name', 'strategy']);
  });

  it('reports YAML syntax errors with their line', () => {
    expect(() => parseYaml('name: a\nstrategy: tpu\n  kind: Job\n', 'job.yaml')).toThrow(
      /job.yaml: 1 problem\n.*YAML syntax error at line 2, column \d+: /s,
    );
  });
});
