/**
 * The benchmark's jobs and how they are submitted: a spec compiled to a plan
 * as `strato submit` compiles it (`planJob`, with the provider's own
 * addresses), handed to the provider's `submit`. The lifecycle around it
 * (job record, run-dir claim, the detached controller process) is left out
 * on purpose: 20 controllers polling on their own would both load the 2
 * cores and add calls to the counts this benchmark reads.
 */

import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { newJobId } from '../../src/jobs/ids.ts';
import { planJob } from '../../src/jobs/plan-job.ts';
import type { JobHandle, JobStatus, Provider } from '../../src/providers/types.ts';
import { parseJobSpec } from '../../src/spec/load.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';

export const BUCKET = 'bench-bucket';
export const PROJECT = 'bench-project';
export const TPU_ZONE = 'us-central2-b';
export const TPU_PARENT = `projects/${PROJECT}/locations/${TPU_ZONE}`;

/** The v4 slice with this many hosts (4 chips per host; the name counts TensorCores, 2 per chip). */
export const V4_SLICE_FOR_HOSTS: Record<number, { type: string; runtimeVersion: string }> = {
  1: { type: 'v4-8', runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt' },
  4: { type: 'v4-32', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' },
  16: { type: 'v4-128', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' },
};

let serial = 0;

const container = { image: 'us-docker.pkg.dev/bench-project/strato/bench:1', command: ['sleep', '3600'] };

/** `replicas` CPU workers on `gce` in `zone`, one VM each. */
export function gceSpec(replicas: number, zone: string): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name: 'bench-gce',
    strategy: replicas > 1 ? 'multi-worker-mirrored' : 'one-device',
    container,
    resources: { workers: { replicas, machineType: 'n1-standard-4' } },
    output: `gs://${BUCKET}/runs/gce-${++serial}`,
    provider: { name: 'gce', project: PROJECT, zone },
  };
}

/** A v4 slice of `hosts` hosts on `tpu-vm` (spot). */
export function tpuSpec(hosts: number): JobSpecInput {
  const slice = V4_SLICE_FOR_HOSTS[hosts];
  if (!slice) throw new Error(`no v4 slice of ${hosts} hosts in this benchmark`);
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name: 'bench-tpu',
    strategy: 'tpu',
    container,
    resources: { workers: { tpu: slice } },
    output: `gs://${BUCKET}/runs/tpu-${++serial}`,
    scheduling: { spot: true },
    provider: { name: 'tpu-vm', project: PROJECT, zone: TPU_ZONE },
  };
}

/** A job id chosen first, so the caller can watch the fake for its machines while `submit` runs. */
export function jobIdFor(input: JobSpecInput): string {
  return newJobId(input.name);
}

/** Plans `input` as `strato submit` does and submits it to `provider`; the job's folder lives in `home`. */
export async function submitToProvider(
  provider: Provider,
  input: JobSpecInput,
  jobId: string,
  options: { home: string; env: NodeJS.ProcessEnv },
): Promise<JobHandle> {
  const spec = parseJobSpec(input);
  const baseDir = options.home;
  const probe = planJob(spec, { baseDir });
  const context = provider.planContext ? await provider.planContext(jobId, probe.replicas.length) : {};
  const plan = planJob(spec, { baseDir, ...context });
  const jobDir = mkdtempSync(join(options.home, `${jobId}-`));
  return provider.submit(plan, { jobId, jobDir, baseDir, env: options.env });
}

/** Running as the provider reports it: the job RUNNING, each replica RUNNING (or IDLE: a TPU host that runs nothing). */
export function allRunning(status: JobStatus): boolean {
  return (
    status.state === 'RUNNING' && status.replicas.every((r) => r.state === 'RUNNING' || r.state === 'IDLE')
  );
}
