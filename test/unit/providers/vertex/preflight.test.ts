/** Bad input for Vertex is refused before any API call, with the allowed values and the fix. */

import { describe, expect, it } from 'vitest';
import type { SpecIssue } from '../../../../src/errors.ts';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import { checkVertexPlan } from '../../../../src/providers/vertex/preflight.ts';
import { VERTEX_REGIONS } from '../../../../src/spec/catalog/vertex.ts';
import { parseJobSpec } from '../../../../src/spec/load.ts';
import type { JobSpecInput } from '../../../../src/spec/schema.ts';
import { compile } from '../../../../src/strategies/compile.ts';
import { type ClusterPlan, defaultAddressOf } from '../../../../src/strategies/plan.ts';
import { vertexSpec } from '../../../support/specs.ts';

function cpuJob(overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return vertexSpec({ resources: { workers: { machineType: 'n1-standard-4' } }, ...overrides });
}

/** The compiled plan before any provider pre-flight (planJob itself now runs it and would throw). */
function plan(input: JobSpecInput): ClusterPlan {
  const spec = parseJobSpec(input);
  return compile(spec, { runDir: spec.output!, addressOf: defaultAddressOf(spec.name) });
}

function only(issues: SpecIssue[]): SpecIssue {
  expect(issues).toHaveLength(1);
  return issues[0]!;
}

describe('Vertex pre-flight', () => {
  it('runs inside planJob, so `strato validate` refuses what Vertex would', () => {
    expect(() =>
      planJob(
        parseJobSpec(cpuJob({ provider: { name: 'vertex', project: 'my-project', region: 'us-moon1' } })),
      ),
    ).toThrow(/provider.region: is not a region where Vertex AI trains/);
  });

  it('accepts a plain CPU job', () => {
    expect(checkVertexPlan(plan(cpuJob()))).toEqual({ errors: [], warnings: [] });
  });

  it('refuses a region that does not exist, listing the regions and the nearest one', () => {
    const p = plan(cpuJob({ provider: { name: 'vertex', project: 'my-project', region: 'us-centrall1' } }));
    const issue = only(checkVertexPlan(p).errors);
    expect(issue).toMatchObject({ path: 'provider.region', received: 'us-centrall1' });
    expect(issue.allowed).toEqual(VERTEX_REGIONS);
    expect(issue.fix).toBe('did you mean "us-central1"?');
  });

  it('refuses a TPU-only region such as us-central2', () => {
    const p = plan(cpuJob({ provider: { name: 'vertex', project: 'my-project', region: 'us-central2' } }));
    expect(only(checkVertexPlan(p).errors).path).toBe('provider.region');
  });

  it('refuses a machine type Vertex does not train on', () => {
    const p = plan(vertexSpec({ resources: { workers: { machineType: 'n1-standard-1' } } }));
    const issue = only(checkVertexPlan(p).errors);
    expect(issue).toMatchObject({ path: 'resources.workers.machineType', received: 'n1-standard-1' });
    expect(issue.allowed).toContain('n1-standard-4');
    expect(issue.fix).toMatch(/did you mean/);
  });

  it('refuses an unknown machine type in another role', () => {
    const p = plan(
      vertexSpec({
        strategy: 'parameter-server',
        resources: {
          chief: { machineType: 'n1-standard-4' },
          workers: { replicas: 2, machineType: 'n1-standard-4' },
          ps: { replicas: 1, machineType: 'n9-mega-7' },
        },
      }),
    );
    expect(only(checkVertexPlan(p).errors)).toMatchObject({
      path: 'resources.ps.machineType',
      received: 'n9-mega-7',
    });
  });

  it('refuses a GPU count the machine cannot take (a plan built by hand)', () => {
    const p = plan(
      vertexSpec({
        resources: {
          workers: { machineType: 'n1-standard-8', accelerator: { type: 'nvidia-tesla-t4', count: 1 } },
        },
      }),
    );
    p.replicas[0]!.resources.accelerator = { type: 'nvidia-tesla-t4', count: 3 };
    const issue = only(checkVertexPlan(p).errors);
    expect(issue).toMatchObject({ path: 'resources.workers.accelerator.count', received: 3 });
    expect(issue.allowed).toEqual(['1', '2', '4']);
  });

  it('refuses GPUs on a machine family that takes none', () => {
    const p = plan(cpuJob());
    p.replicas[0]!.resources = { machineType: 'e2-standard-8', accelerator: { type: 'nvidia-l4', count: 1 } };
    const issue = only(checkVertexPlan(p).errors);
    expect(issue.path).toBe('resources.workers.machineType');
    expect(issue.fix).toBe('use g2-standard-4');
  });

  it('refuses TPU v4, which Vertex does not offer, and names the provider that does', () => {
    const p = plan(
      vertexSpec({
        strategy: 'tpu',
        resources: { workers: { tpu: { type: 'v4-8', runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt' } } },
      }),
    );
    const issue = only(checkVertexPlan(p).errors);
    expect(issue).toMatchObject({ path: 'resources.workers.tpu.type', received: 'v4-8' });
    expect(issue.fix).toMatch(/tpu-vm/);
  });

  it('refuses a v3 slice bigger than the one v3-8 device Vertex offers', () => {
    const p = plan(
      vertexSpec({
        strategy: 'tpu',
        resources: { workers: { tpu: { type: 'v3-32', runtimeVersion: 'tpu-vm-tf-2.14.0-pod' } } },
      }),
    );
    expect(only(checkVertexPlan(p).errors)).toMatchObject({
      path: 'resources.workers.tpu.type',
      allowed: ['v3-8'],
    });
  });

  it('refuses a TPU topology Vertex has no machine for', () => {
    const p = plan(
      vertexSpec({
        strategy: 'tpu',
        resources: {
          workers: { tpu: { type: 'v5litepod-16', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' } },
        },
      }),
    );
    p.replicas.forEach((r) => {
      r.resources.tpu!.topology = '2x8';
    });
    const issue = only(checkVertexPlan(p).errors);
    expect(issue).toMatchObject({ path: 'resources.workers.tpu.topology', received: '2x8' });
    expect(issue.allowed).toContain('4x4 (16 chips)');
  });

  it('refuses a missing project (a plan built by hand) and tells where to find it', () => {
    const p = plan(cpuJob());
    (p.provider as { project?: string }).project = undefined;
    const issue = only(checkVertexPlan(p).errors);
    expect(issue.path).toBe('provider.project');
    expect(issue.fix).toMatch(/gcloud config get-value project/);
  });

  it('the spec parser already refuses a vertex spec without a project', () => {
    const input = cpuJob({ provider: { name: 'vertex', region: 'us-central1' } as never });
    expect(() => parseJobSpec(input)).toThrow(/provider\.project/);
  });

  it('warns that Vertex has no Spot VMs for multi-host TPU slices', () => {
    const p = plan(
      vertexSpec({
        strategy: 'tpu',
        resources: {
          workers: { tpu: { type: 'v5litepod-16', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' } },
        },
        scheduling: { spot: true },
      }),
    );
    expect(only(checkVertexPlan(p).warnings)).toMatchObject({ path: 'scheduling.spot' });
  });

  it('warns that workingDir has no Vertex equivalent', () => {
    const p = plan(cpuJob({ container: { image: 'us-docker.pkg.dev/p/r/t:1', workingDir: '/app' } }));
    expect(only(checkVertexPlan(p).warnings).path).toBe('container.workingDir');
  });
});
