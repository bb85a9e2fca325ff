/**
 * A `gce` job on standing VMs (`provider.vms: <stack>/<GpuVms id>`): the
 * stack's VMs, found in its state, each run one replica. Nothing is created
 * or deleted: an attempt is handed over by setting the work keys of
 * src/agent/layout.ts on every VM (`instances.setMetadata` with the
 * fingerprint read just before, so two submitters cannot both take a VM), and
 * taken back by clearing them; the agent on the VM runs the work and stops it
 * when its keys go. A stopped VM (a preempted spot one) is started again for
 * the next attempt.
 */

import { METADATA_KEYS } from '../../agent/layout.ts';
import { StratoError } from '../../errors.ts';
import { type ComputeApi, newRequestId, operationOf } from '../../infra/gcp/compute-api.ts';
import { INSTANCE_KIND } from '../../infra/gcp/gpu-vms.ts';
import { lastSegment } from '../../infra/gcp/naming.ts';
import { findFixedGpuMachine } from '../../spec/catalog/gpu.ts';
import { buildLaunch, machineMetadata } from '../machines/launch.ts';
import { renameHosts } from '../machines/replicas.ts';
import {
  agentMissing,
  busyWith,
  carriesAgent,
  findStandingResources,
  parseStandingRef,
  withoutWork,
  workOf,
} from '../machines/standing.ts';
import { instanceName } from './naming.ts';
import type { GceJobRecord } from './record.ts';
import type { Instance } from './vms.ts';

const FIELD = 'provider.vms';

export interface StandingVm {
  name: string;
  zone: string;
}

/** The VMs of `ref` in its stack's state, in the group's order. */
export async function findStandingVms(ref: string, baseDir: string): Promise<StandingVm[]> {
  const parsed = parseStandingRef(ref);
  const found = await findStandingResources(
    parsed,
    INSTANCE_KIND,
    { field: FIELD, construct: 'GpuVms' },
    baseDir,
  );
  return found.map((r) => ({ name: r.ref.name, zone: r.ref.location }));
}

/** The VM brings GPUs: attached ones, or an A2/A3/G2 type's own. */
function hasGpus(vm: Instance): boolean {
  return (vm.guestAccelerators ?? []).length > 0 || Boolean(findFixedGpuMachine(lastSegment(vm.machineType)));
}

function metadataOf(vm: Instance): Record<string, string> {
  return Object.fromEntries((vm.metadata?.items ?? []).map((i) => [i.key ?? '', i.value ?? '']));
}

export async function getStandingVm(
  compute: ComputeApi,
  project: string,
  vm: StandingVm,
): Promise<Instance | undefined> {
  try {
    const [found] = await compute.call(`reading VM ${vm.name}`, project, () =>
      compute.instances.get({ project, zone: vm.zone, instance: vm.name }),
    );
    return found;
  } catch (error) {
    if (error instanceof StratoError && error.code === 'E_NOT_FOUND') return undefined;
    throw error;
  }
}

/** Checks the VMs can take the job: they exist, run, carry the agent, are enough and free. */
export async function checkStandingVms(
  compute: ComputeApi,
  record: GceJobRecord,
  ref: string,
  vms: readonly StandingVm[],
): Promise<void> {
  const parsed = parseStandingRef(ref);
  if (vms.length < record.replicas.length) {
    throw new StratoError(
      'E_UNSUPPORTED',
      `${FIELD}: ${ref} has ${vms.length} VM(s); the job has ${record.replicas.length} replicas (one VM each)`,
      {
        hint: `give GpuVms ${parsed.id} count: ${record.replicas.length} (strato infra deploy), or run fewer replicas`,
      },
    );
  }
  for (const vm of vms.slice(0, record.replicas.length)) {
    const found = await getStandingVm(compute, record.project, vm);
    if (!found) {
      throw new StratoError(
        'E_NOT_FOUND',
        `${FIELD}: VM ${vm.name} of ${ref} does not exist (in ${vm.zone})`,
        {
          hint: `run strato infra deploy for stack ${parsed.stack} to create it again`,
        },
      );
    }
    const metadata = metadataOf(found);
    if (!carriesAgent(metadata)) throw agentMissing(FIELD, parsed, 'GpuVms', `VM ${vm.name}`);
    const work = workOf(metadata);
    if (work && work.jobId !== record.jobId) throw busyWith(FIELD, `VM ${vm.name}`, work);
    if (found.status !== 'RUNNING') {
      throw new StratoError(
        'E_UNSUPPORTED',
        `${FIELD}: VM ${vm.name} of ${ref} is ${found.status}, not RUNNING`,
        {
          hint: `start it: gcloud compute instances start ${vm.name} --zone ${vm.zone}`,
        },
      );
    }
  }
}

/** A hand-over and a take-back each read the VM afresh; a concurrent change of its metadata is met this often. */
const METADATA_TRIES = 5;

/**
 * Replaces a VM's metadata by `change(current)`, with the fingerprint read
 * with it. Another writer in between (the job's controller releasing the
 * job as this process does) makes the service refuse the fingerprint: the
 * VM is read again and `change` decides again on what it holds now.
 */
async function changeMetadata(
  compute: ComputeApi,
  project: string,
  vm: StandingVm,
  change: (current: Record<string, string>, found: Instance) => Record<string, string> | undefined,
): Promise<void> {
  for (let tries = 1; ; tries++) {
    try {
      return await changeMetadataOnce(compute, project, vm, change);
    } catch (error) {
      // Retryable E_CONFLICT: the fingerprint (a busy VM is E_CONFLICT too, and final).
      const stale = error instanceof StratoError && error.code === 'E_CONFLICT' && error.retryable;
      if (!stale || tries >= METADATA_TRIES) throw error;
    }
  }
}

async function changeMetadataOnce(
  compute: ComputeApi,
  project: string,
  vm: StandingVm,
  change: (current: Record<string, string>, found: Instance) => Record<string, string> | undefined,
): Promise<void> {
  const found = await getStandingVm(compute, project, vm);
  if (!found) return;
  const next = change(metadataOf(found), found);
  if (!next) return;
  const action = `setting the metadata of VM ${vm.name}`;
  const result = await compute.call(action, project, () =>
    compute.instances.setMetadata({
      project,
      zone: vm.zone,
      instance: vm.name,
      requestId: newRequestId(),
      metadataResource: {
        fingerprint: found.metadata?.fingerprint ?? null,
        items: Object.entries(next).map(([key, value]) => ({ key, value })),
      },
    }),
  );
  await compute.waitFor(operationOf(result), { id: vm.name, action, project, zone: vm.zone });
}

/** Hands attempt `attempt` to the VMs: replica i on VM i, its TF_CONFIG naming the VMs. */
export async function handOverAttempt(
  compute: ComputeApi,
  record: GceJobRecord,
  vms: readonly StandingVm[],
  attempt: number,
  control: string,
): Promise<void> {
  const renames = new Map(
    record.replicas.map((r, i) => [instanceName(record.jobId, 1, r.name), vms[i]!.name]),
  );
  await Promise.all(
    record.replicas.map((replica, i) =>
      changeMetadata(compute, record.project, vms[i]!, (current, found) => {
        const work = workOf(current);
        if (work && work.jobId !== record.jobId) throw busyWith(FIELD, `VM ${vms[i]!.name}`, work);
        const launch = buildLaunch({
          image: record.image,
          command: record.command,
          args: record.args,
          dockerFlags: hasGpus(found) ? ['--gpus', 'all'] : [],
          replicas: [{ name: replica.name, runsProgram: true, env: renameHosts(replica.env, renames) }],
        });
        const { [METADATA_KEYS.startupScript]: _script, ...keys } = machineMetadata({
          startupScript: '',
          jobId: record.jobId,
          attempt,
          control,
          storageApi: record.storageEndpoint,
          launch,
          replica: replica.name,
        });
        return { ...withoutWork(current), ...keys };
      }),
    ),
  );
}

/** Takes the job back: clears the work keys where they still name it (the agent stops what runs). */
export async function takeBackVms(
  compute: ComputeApi,
  record: GceJobRecord,
  vms: readonly StandingVm[],
): Promise<void> {
  await Promise.all(
    vms.map((vm) =>
      changeMetadata(compute, record.project, vm, (current) =>
        workOf(current)?.jobId === record.jobId ? withoutWork(current) : undefined,
      ),
    ),
  );
}

/** Starts the VMs a preemption (or anyone) stopped, for the next attempt; waits for them. */
export async function startStoppedVms(
  compute: ComputeApi,
  project: string,
  vms: readonly StandingVm[],
): Promise<void> {
  await Promise.all(
    vms.map(async (vm) => {
      const found = await getStandingVm(compute, project, vm);
      if (!found || found.status === 'RUNNING') return;
      const action = `starting VM ${vm.name}`;
      const result = await compute.call(action, project, () =>
        compute.instances.start({ project, zone: vm.zone, instance: vm.name, requestId: newRequestId() }),
      );
      await compute.waitFor(operationOf(result), { id: vm.name, action, project, zone: vm.zone });
    }),
  );
}
