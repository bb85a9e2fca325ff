/**
 * Rendered CustomJob bodies, as golden files: one per template (run on
 * vertex, whatever provider the template names; a template Vertex cannot run
 * has its refusal as golden) and one per TPU shape Vertex offers. A new
 * template needs its golden written once: `npx vitest run
 * test/unit/providers/vertex -u`. Never edit the golden files by hand.
 */

import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../../../src/errors.ts';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import {
  LABEL_ATTEMPT,
  LABEL_JOB_ID,
  labelValue,
  renderCustomJob,
} from '../../../../src/providers/vertex/custom-job.ts';
import { loadJobSpecFile, parseJobSpec } from '../../../../src/spec/load.ts';
import type { JobSpec, JobSpecInput } from '../../../../src/spec/schema.ts';
import type { ClusterPlan } from '../../../../src/strategies/plan.ts';
import { baseSpec, vertexSpec } from '../../../support/specs.ts';

const GOLDEN = join(import.meta.dirname, '__golden__');
const templates = readdirSync('templates')
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => join('templates', f));

/** The same job on Vertex: TPU-VM templates move to the region of their zone. */
function onVertex(spec: JobSpec): JobSpec {
  if (spec.provider.name === 'vertex') return spec;
  const { project } = spec.provider as { project?: string };
  const zone = (spec.provider as { zone?: string }).zone ?? 'us-central1-a';
  return {
    ...spec,
    provider: { name: 'vertex', project: project ?? 'my-project', region: zone.replace(/-[a-z]$/, '') },
  };
}

/** A one-device CPU job on Vertex. */
function cpuJob(overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return vertexSpec({ resources: { workers: { machineType: 'n1-standard-4' } }, ...overrides });
}

function plan(input: JobSpecInput): ClusterPlan {
  return planJob(parseJobSpec(input));
}

/** The CustomJob body, or the refusal a user would see (planning and pre-flight both refuse). */
function renderOrRefusal(p: ClusterPlan | (() => ClusterPlan)): string {
  try {
    const planned = typeof p === 'function' ? p() : p;
    return `${JSON.stringify(renderCustomJob(planned, { jobId: 'golden-job-1', specHash: 'abc123' }), null, 2)}\n`;
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return `refused before any API call:\n${error.message}\n`;
  }
}

describe('CustomJob golden bodies', () => {
  it.each(templates)('%s', async (file) => {
    const { spec, baseDir } = await loadJobSpecFile(file);
    const rendered = renderOrRefusal(() => planJob(onVertex(spec), { baseDir }));
    await expect(rendered).toMatchFileSnapshot(join(GOLDEN, `${basename(file, '.yaml')}.json.golden`));
  });

  const tpuShapes: [string, string, string][] = [
    ['v2-8', 'tpu-vm-tf-2.14.0', 'tpu-v2-8'],
    ['v3-8', 'tpu-vm-tf-2.14.0', 'tpu-v3-8'],
    ['v5litepod-1', 'tpu-vm-tf-2.16.1-pjrt', 'tpu-v5e-1'],
    ['v5litepod-8', 'tpu-vm-tf-2.16.1-pjrt', 'tpu-v5e-8'],
    ['v5litepod-32', 'tpu-vm-tf-2.16.1-pod-pjrt', 'tpu-v5e-32'],
    ['v5p-8', 'tpu-vm-tf-2.16.1-pjrt', 'tpu-v5p-8'],
    ['v5p-32', 'tpu-vm-tf-2.16.1-pod-pjrt', 'tpu-v5p-32'],
    ['v6e-4', 'tpu-vm-tf-2.16.1-pjrt', 'tpu-v6e-4'],
    ['v6e-16', 'tpu-vm-tf-2.16.1-pod-pjrt', 'tpu-v6e-16'],
  ];
  it.each(tpuShapes)('TPU %s', async (type, runtimeVersion, name) => {
    const p = plan(
      vertexSpec({
        name,
        strategy: 'tpu',
        resources: { workers: { tpu: { type, runtimeVersion } } },
        scheduling: { spot: true, maxRestarts: 2, timeoutSec: 3600 },
      }),
    );
    await expect(renderOrRefusal(p)).toMatchFileSnapshot(join(GOLDEN, `${name}.json.golden`));
  });

  it('multi-worker-mirrored without a chief, with an evaluator, a disk and a service account', async () => {
    const p = plan(
      vertexSpec({
        name: 'mwms-evaluator',
        strategy: 'multi-worker-mirrored',
        resources: {
          workers: { replicas: 3, machineType: 'a2-highgpu-1g', diskSizeGb: 200 },
          evaluator: { machineType: 'n1-standard-8' },
        },
        provider: {
          name: 'vertex',
          project: 'my-project',
          region: 'europe-west4',
          serviceAccount: 'trainer@my-project.iam.gserviceaccount.com',
          network: 'projects/123/global/networks/default',
        },
      }),
    );
    await expect(renderOrRefusal(p)).toMatchFileSnapshot(join(GOLDEN, 'mwms-evaluator.json.golden'));
  });
});

describe('CustomJob mapping', () => {
  const mwms = () =>
    plan(
      vertexSpec({
        strategy: 'multi-worker-mirrored',
        resources: { workers: { replicas: 3, machineType: 'n1-standard-8' } },
      }),
    );

  it('puts worker 0 in pool 0 alone and the other workers in pool 1 when there is no chief', () => {
    const pools = renderCustomJob(mwms(), { jobId: 'j' }).jobSpec.workerPoolSpecs;
    expect(pools.map((p) => p.replicaCount)).toEqual([1, 2]);
  });

  it('holds the place of unused pools before a used one with {}', () => {
    const p = plan(
      vertexSpec({
        strategy: 'multi-worker-mirrored',
        resources: {
          workers: { replicas: 2, machineType: 'n1-standard-8' },
          evaluator: { machineType: 'n1-standard-4' },
        },
      }),
    );
    const pools = renderCustomJob(p, { jobId: 'j' }).jobSpec.workerPoolSpecs;
    expect(pools).toHaveLength(4);
    expect(pools[2]).toEqual({});
    expect(pools[3]?.machineSpec?.machineType).toBe('n1-standard-4');
  });

  it('leaves out what Vertex injects itself and what differs per replica', () => {
    const body = renderCustomJob(mwms(), { jobId: 'j' });
    const names = body.jobSpec.workerPoolSpecs.flatMap((p) => p.containerSpec?.env?.map((e) => e.name) ?? []);
    expect(names).not.toContain('TF_CONFIG');
    expect(names.some((n) => n.startsWith('AIP_'))).toBe(false);
    expect(names).not.toContain('STRATO_REPLICA_INDEX');
    expect(names).toContain('STRATO_JOB_NAME');
  });

  it('labels the job with its id, attempt and spec hash next to the user labels', () => {
    const p = plan(cpuJob({ labels: { team: 'ml' } }));
    const body = renderCustomJob(p, { jobId: 'Test-Job_20240101.1', attempt: 3, specHash: 'f00' });
    expect(body.labels).toEqual({
      team: 'ml',
      [LABEL_JOB_ID]: 'test-job_20240101-1',
      'strato-spec-hash': 'f00',
      [LABEL_ATTEMPT]: '3',
    });
    expect(body.displayName).toBe('Test-Job_20240101.1-attempt-3');
  });

  it('label values keep to 63 allowed characters', () => {
    expect(labelValue('A'.repeat(80))).toBe('a'.repeat(63));
    expect(labelValue('x/y:z')).toBe('x-y-z');
  });

  it('maps spot, timeout and flex-start to scheduling', () => {
    const spot = plan(cpuJob({ scheduling: { spot: true, timeoutSec: 600 } }));
    expect(renderCustomJob(spot, { jobId: 'j' }).jobSpec.scheduling).toEqual({
      strategy: 'SPOT',
      timeout: { seconds: 600 },
    });
    const flex = renderCustomJob(plan(cpuJob()), { jobId: 'j', flexStart: { maxWaitSec: 7200 } });
    expect(flex.jobSpec.scheduling).toEqual({ strategy: 'FLEX_START', maxWaitDuration: { seconds: 7200 } });
  });

  it('asks Vertex to restart the whole job when a lock-step replica restarts, not for parameter servers', () => {
    expect(renderCustomJob(mwms(), { jobId: 'j' }).jobSpec.scheduling.restartJobOnWorkerRestart).toBe(true);
    const ps = plan(
      vertexSpec({
        strategy: 'parameter-server',
        resources: {
          chief: { machineType: 'n1-standard-4' },
          workers: { replicas: 2, machineType: 'n1-standard-4' },
          ps: { replicas: 1, machineType: 'n1-standard-4' },
        },
      }),
    );
    expect(renderCustomJob(ps, { jobId: 'j' }).jobSpec.scheduling.restartJobOnWorkerRestart).toBeUndefined();
  });

  it('refuses a local plan', () => {
    const local = plan(baseSpec());
    expect(() => renderCustomJob(local, { jobId: 'j' })).toThrow(SpecError);
  });
});
