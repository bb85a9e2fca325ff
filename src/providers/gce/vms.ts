/**
 * A `gce` job's VMs through `@google-cloud/compute` (the infra layer's
 * client, `infra/gcp/compute-api.ts`, and its instance body builder): create
 * an attempt's VMs in parallel in one zone — on a stockout, delete what was
 * made there and try the next allowed zone — find them by label, delete them.
 * Inserts carry a request id (the service de-duplicates a retried one);
 * a create is preceded by a look for the attempt's VMs, so asking twice
 * creates them once.
 */

import type { protos } from '@google-cloud/compute';
import { StratoError } from '../../errors.ts';
import { type ComputeApi, newRequestId, operationOf } from '../../infra/gcp/compute-api.ts';
import { CLOUD_PLATFORM_SCOPE, DEFAULT_IMAGE, type InstanceProps } from '../../infra/gcp/gpu-vms.ts';
import { instanceBody } from '../../infra/gcp/instance-driver.ts';
import { lastSegment } from '../../infra/gcp/naming.ts';
import { STACK_LABEL } from '../../infra/types.ts';
import { findFixedGpuMachine } from '../../spec/catalog/gpu.ts';
import { buildLaunch, machineMetadata } from '../machines/launch.ts';
import { renameHosts } from '../machines/replicas.ts';
import { instanceName, jobsFilter, LABEL_ATTEMPT, LABEL_JOB } from './naming.ts';
import type { GceJobRecord, GceReplica } from './record.ts';

export type Instance = protos.google.cloud.compute.v1.IInstance;

/** CPU-only VMs boot the Deep Learning VM CPU family (Docker included), GPU ones the CUDA family. */
export const CPU_IMAGE = { project: 'deeplearning-platform-release', family: 'common-cpu-debian-11-py310' };

export interface AttemptLaunch {
  startupScript: string;
  /** gs:// control folder of the attempt. */
  control: string;
}

function hasGpu(replica: GceReplica): boolean {
  return Boolean(replica.accelerator) || Boolean(findFixedGpuMachine(replica.machineType));
}

/** The VM of `replica` for attempt `attempt`, in the infra layer's terms. */
export function instancePropsFor(
  record: GceJobRecord,
  replica: GceReplica,
  attempt: number,
  zone: string,
  launch: AttemptLaunch,
): InstanceProps {
  const renames = new Map(
    record.replicas.map((r) => [
      instanceName(record.jobId, 1, r.name),
      instanceName(record.jobId, attempt, r.name),
    ]),
  );
  const gpu = hasGpu(replica);
  const fixed = findFixedGpuMachine(replica.machineType);
  const machineLaunch = buildLaunch({
    image: record.image,
    command: record.command,
    args: record.args,
    dockerFlags: gpu ? ['--gpus', 'all'] : [],
    replicas: [{ name: replica.name, runsProgram: true, env: renameHosts(replica.env, renames) }],
  });
  return {
    name: instanceName(record.jobId, attempt, replica.name),
    project: record.project,
    zone,
    machineType: replica.machineType,
    // A2/A3/G2 bring their GPUs; only N1 takes attached ones.
    ...(replica.accelerator && !fixed ? { gpu: replica.accelerator } : {}),
    image: gpu ? DEFAULT_IMAGE : CPU_IMAGE,
    bootDiskGb: Math.max(replica.diskSizeGb ?? 200, 50),
    spot: record.spot,
    // A spot VM that is preempted, or any VM past scheduling.timeoutSec, stops; Strato reads it and deletes it.
    ...(record.spot || record.maxRunDurationSec ? { terminationAction: 'STOP' as const } : {}),
    ...(record.maxRunDurationSec ? { maxRunDurationSec: record.maxRunDurationSec } : {}),
    networkName: record.network ? lastSegment(record.network) : 'default',
    tags: ['strato-job'],
    serviceAccount: { email: record.serviceAccount ?? 'default', scopes: [CLOUD_PLATFORM_SCOPE] },
    labels: { ...record.labels, [LABEL_JOB]: record.jobId, [LABEL_ATTEMPT]: String(attempt) },
    metadata: machineMetadata({
      startupScript: launch.startupScript,
      jobId: record.jobId,
      attempt,
      control: launch.control,
      storageApi: record.storageEndpoint,
      launch: machineLaunch,
      replica: replica.name,
      guestAttributes: true,
    }),
    externalIp: true,
  };
}

/** The insert body: the infra layer's, without the stack mark (these VMs belong to a job, not a stack). */
function bodyFor(props: InstanceProps, sourceImage: string): Instance {
  const body = instanceBody(props, 'job', props.name, sourceImage);
  delete body.labels![STACK_LABEL];
  body.description = `Strato job ${props.labels[LABEL_JOB]}, attempt ${props.labels[LABEL_ATTEMPT]}`;
  return body;
}

/** Every VM of these jobs (or attempts) in one zone: one list call. */
export async function listJobVms(
  compute: ComputeApi,
  project: string,
  zone: string,
  jobs: readonly { jobId: string; attempt?: number }[],
): Promise<Instance[]> {
  const filter = jobsFilter(jobs);
  const [instances] = await compute.call(`listing VMs in ${project}/${zone}`, project, () =>
    compute.instances.list({ project, zone, filter, maxResults: 500 }),
  );
  // The filter narrows the answer; the check here keeps a service (or fake) that ignores it honest.
  return instances.filter((vm) =>
    jobs.some(
      (job) =>
        vm.labels?.[LABEL_JOB] === job.jobId &&
        (job.attempt === undefined || vm.labels?.[LABEL_ATTEMPT] === String(job.attempt)),
    ),
  );
}

/** Every VM of a job in every zone (one aggregatedList call), with its zone. */
export async function findJobVmsEverywhere(
  compute: ComputeApi,
  project: string,
  jobId: string,
  attempt?: number,
): Promise<{ name: string; zone: string; attempt: number }[]> {
  const filter = jobsFilter([{ jobId, ...(attempt !== undefined ? { attempt } : {}) }]);
  return compute.call(`listing the VMs of job ${jobId}`, project, async () => {
    const found: { name: string; zone: string; attempt: number }[] = [];
    // The async iterator pages by itself; gax warns on stderr unless told autoPaginate is off.
    for await (const [, scoped] of compute.instances.aggregatedListAsync(
      { project, filter, maxResults: 500 },
      { autoPaginate: false },
    )) {
      for (const vm of scoped.instances ?? []) {
        if (vm.labels?.[LABEL_JOB] !== jobId) continue;
        const vmAttempt = Number(vm.labels?.[LABEL_ATTEMPT] ?? 0);
        if (attempt !== undefined && vmAttempt !== attempt) continue;
        found.push({ name: vm.name ?? '', zone: lastSegment(vm.zone), attempt: vmAttempt });
      }
    }
    return found;
  });
}

/** Deletes VMs and waits for the deletions; a VM already gone is fine. */
export async function deleteVms(
  compute: ComputeApi,
  project: string,
  vms: readonly { name: string; zone: string }[],
): Promise<void> {
  await Promise.all(
    vms.map(async ({ name, zone }) => {
      const action = `deleting VM ${name}`;
      const requestId = newRequestId();
      try {
        const result = await compute.call(action, project, () =>
          compute.instances.delete({ project, zone, instance: name, requestId }),
        );
        await compute.waitFor(operationOf(result), { id: name, action, project, zone });
      } catch (error) {
        if (error instanceof StratoError && error.code === 'E_NOT_FOUND') return;
        throw error;
      }
    }),
  );
}

/**
 * Creates attempt `attempt`'s VMs in `zone`, in parallel; VMs of the attempt
 * that exist already are kept. Throws the first failure (a stockout is
 * E_NO_CAPACITY) after every insert has settled.
 */
export async function createAttemptVms(
  compute: ComputeApi,
  record: GceJobRecord,
  attempt: number,
  zone: string,
  launch: AttemptLaunch,
): Promise<void> {
  const existing = new Set(
    (await listJobVms(compute, record.project, zone, [{ jobId: record.jobId, attempt }])).map(
      (vm) => vm.name,
    ),
  );
  const missing = record.replicas.filter((r) => !existing.has(instanceName(record.jobId, attempt, r.name)));
  if (missing.length === 0) return;
  const images = new Map<string, Promise<string>>();
  const imageOf = (image: { project: string; family: string }) => {
    const key = `${image.project}/${image.family}`;
    if (!images.has(key)) {
      images.set(
        key,
        compute
          .call(`resolving image family ${key}`, record.project, () =>
            compute.images.getFromFamily({ project: image.project, family: image.family }),
          )
          .then(([found]) => found.selfLink ?? ''),
      );
    }
    return images.get(key)!;
  };
  const results = await Promise.allSettled(
    missing.map(async (replica) => {
      const props = instancePropsFor(record, replica, attempt, zone, launch);
      const body = bodyFor(props, await imageOf(props.image));
      const requestId = newRequestId();
      const action = `creating VM ${props.name} (${props.machineType}${props.spot ? ', spot' : ''}) in ${record.project}/${zone}`;
      const result = await compute.call(action, record.project, () =>
        compute.instances.insert({ project: record.project, zone, requestId, instanceResource: body }),
      );
      await compute.waitFor(operationOf(result), {
        id: props.name,
        action,
        project: record.project,
        zone,
        machineType: props.machineType,
        spot: props.spot,
      });
    }),
  );
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
