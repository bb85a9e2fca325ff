/**
 * The `gce` provider: one Compute Engine VM per replica per attempt
 * (`vms.ts`), in the first allowed zone with capacity; the VMs' startup
 * script runs the image and reports through the bucket (`../machines/`).
 * `status` reads, per tick, one VM list per project and zone for all jobs
 * there plus one listing of each job's control folder, paced like Vertex.
 * `cancel` and `release` (the job's end) delete every VM of the job.
 * On standing VMs (`provider.vms`, `standing.ts`) nothing is created or
 * deleted: each attempt is handed to the stack's VMs by metadata, and cancel
 * and release take it back, leaving the VMs idle for the next job.
 *
 * Endpoints: Compute Engine from `STRATO_COMPUTE_ENDPOINT` (a fake's
 * `http://…`: no credentials), Cloud Storage from `STORAGE_EMULATOR_HOST`;
 * a job remembers both, so later processes find it where it was made.
 * `STRATO_GCE_PORTS=distinct` (set by the fake cloud, whose VMs all share
 * one loopback network) gives every replica its own TensorFlow port.
 */

import { controlFolder } from '../../agent/layout.ts';
import { loadStartupScript } from '../../agent/script.ts';
import { StratoError } from '../../errors.ts';
import { COMPUTE_ENDPOINT_ENV, type ComputeApi, createComputeApi } from '../../infra/gcp/compute-api.ts';
import type { RetryPolicy } from '../../internal/retry.ts';
import { gceZonesOf } from '../../spec/placement.ts';
import { CLOUD_TF_PORT, type ClusterPlan, type ReplicaRole } from '../../strategies/plan.ts';
import { PROVIDER_CAPABILITIES } from '../capabilities.ts';
import { allocatePorts, LOOPBACK_HOST } from '../local/ports.ts';
import { attemptStatus, type MachineFact } from '../machines/attempt-status.ts';
import { handleWithAttempt } from '../machines/attempts.ts';
import { ClientPool } from '../machines/client-pool.ts';
import { ControlReader, readControlFolders } from '../machines/control.ts';
import { type MachineJob, machineJobEnds } from '../machines/ending.ts';
import { StatusPacer } from '../machines/pacing.ts';
import { machineReplicasOf } from '../machines/replicas.ts';
import type { JobHandle, JobStatus, Provider } from '../types.ts';
import { instanceName } from './naming.ts';
import { currentGceAttempt, type GceJobRecord, gceRecordOf } from './record.ts';
import {
  checkStandingVms,
  findStandingVms,
  getStandingVm,
  handOverAttempt,
  startStoppedVms,
  takeBackVms,
} from './standing.ts';
import { createAttemptVms, deleteVms, findJobVmsEverywhere, type Instance, listJobVms } from './vms.ts';

/** `distinct`: every replica listens on its own port (VMs sharing one network, as the fake cloud's do). */
export const GCE_PORTS_ENV = 'STRATO_GCE_PORTS';

export interface GceProviderOptions {
  /** Where STRATO_COMPUTE_ENDPOINT, STORAGE_EMULATOR_HOST and STRATO_GCE_PORTS are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The script every VM runs; default `src/agent/startup-script.sh`. */
  startupScript?: string;
  /** Multiplies the status pacing intervals (0: read the cloud on every call). Default 1. */
  pollScale?: number;
  retry?: RetryPolicy;
  /** TensorFlow ports: `cloud` (2222 on every VM, the default) or `distinct` (one per replica). */
  ports?: 'cloud' | 'distinct';
}

/** VM states on the way up (https://cloud.google.com/compute/docs/instances/instance-life-cycle). */
const STARTING = new Set(['PROVISIONING', 'STAGING', 'PENDING', 'REPAIRING']);

function machineFact(vm: Instance | undefined, name: string): MachineFact {
  if (!vm) return { state: 'gone', machine: name, detail: 'deleted' };
  const status = String(vm.status ?? '');
  if (STARTING.has(status)) return { state: 'creating', machine: name };
  if (status === 'RUNNING') return { state: 'running', machine: name };
  return { state: 'gone', machine: name, detail: status || 'gone' };
}

export function createGceProvider(options: GceProviderOptions = {}): Provider & {
  statusMany(handles: readonly JobHandle[]): Promise<JobStatus[]>;
  release(handle: JobHandle): Promise<void>;
  abandon(handle: JobHandle): Promise<void>;
} {
  const env = options.env ?? process.env;
  const ports = options.ports ?? (env[GCE_PORTS_ENV] === 'distinct' ? 'distinct' : 'cloud');
  const pacer = new StatusPacer<JobStatus>(options.pollScale ?? 1);
  const reader = new ControlReader();
  const pacingKey = (record: GceJobRecord) => `${record.jobId}#${currentGceAttempt(record).attempt}`;

  // One Compute client per endpoint, shared by the reads of every tick (client-pool.ts says why).
  const computes = new ClientPool<ComputeApi>(
    (endpoint) =>
      createComputeApi({
        env,
        ...(endpoint ? { endpoint } : {}),
        ...(options.retry ? { retry: options.retry } : {}),
      }),
    (compute) => compute.close(),
  );

  function withCompute<T>(
    endpoint: string | undefined,
    use: (compute: ComputeApi) => Promise<T>,
  ): Promise<T> {
    return computes.use(endpoint ?? '', use);
  }

  const storageOf = (record: GceJobRecord) => ({ storageEndpoint: record.storageEndpoint, env });

  /** What the shared endings (logs, cancel, release) need of a job. */
  const machineJob = (handle: JobHandle): MachineJob => {
    const record = gceRecordOf(handle);
    return {
      runDir: record.runDir,
      attempt: currentGceAttempt(record).attempt,
      storage: storageOf(record),
      forget: () => pacer.forget(pacingKey(record)),
      deleteMachines: () => deleteEveryVm(record),
    };
  };

  /** Hands attempt `attempt` to the job's standing VMs (started again if a preemption stopped them). */
  async function handOver(compute: ComputeApi, record: GceJobRecord, attempt: number): Promise<string> {
    const { vms } = record.standing!;
    await handOverAttempt(compute, record, vms, attempt, controlFolder(record.runDir, attempt));
    // After the hand-over, so a VM that boots again finds the new attempt's keys at once.
    if (attempt > 1) await startStoppedVms(compute, record.project, vms);
    return vms[0]!.zone;
  }

  /** Creates attempt `attempt` in the first allowed zone with capacity; returns that zone. */
  async function launchAttempt(compute: ComputeApi, record: GceJobRecord, attempt: number): Promise<string> {
    const startupScript = options.startupScript ?? (await loadStartupScript());
    const launch = { startupScript, control: controlFolder(record.runDir, attempt) };
    let stockout: StratoError | undefined;
    for (const zone of record.zones) {
      try {
        await createAttemptVms(compute, record, attempt, zone, launch);
        return zone;
      } catch (error) {
        // Whatever failed, nothing of this attempt stays behind in this zone.
        const made = await listJobVms(compute, record.project, zone, [{ jobId: record.jobId, attempt }]);
        await deleteVms(
          compute,
          record.project,
          made.map((vm) => ({ name: vm.name ?? '', zone })),
        );
        if (!(error instanceof StratoError && error.code === 'E_NO_CAPACITY')) throw error;
        stockout = error;
      }
    }
    throw new StratoError(
      'E_NO_CAPACITY',
      `no capacity for job ${record.jobId} in any allowed zone (${record.zones.join(', ')}): ${stockout?.message ?? ''}`,
      {
        ...(stockout ? { cause: stockout } : {}),
        hint: 'add zones to provider.zones (tried in order), use spot: false (or true: another pool), or try again later',
      },
    );
  }

  async function readStatuses(records: readonly GceJobRecord[]): Promise<JobStatus[]> {
    // One VM list per endpoint, project and zone, for every job whose current attempt is there.
    const groups = new Map<string, GceJobRecord[]>();
    const vms = new Map<string, Instance>();
    // Standing VMs carry the stack's labels, not the job's: each is read by name.
    await Promise.all(
      records
        .filter((record) => record.standing)
        .map((record) =>
          withCompute(record.computeEndpoint, async (compute) => {
            for (const vm of record.standing!.vms) {
              const found = await getStandingVm(compute, record.project, vm);
              if (found) vms.set(vm.name, found);
            }
          }),
        ),
    );
    for (const record of records) {
      if (record.standing) continue;
      const key = `${record.computeEndpoint ?? ''}|${record.project}|${currentGceAttempt(record).zone}`;
      groups.set(key, [...(groups.get(key) ?? []), record]);
    }
    await Promise.all(
      [...groups.values()].map((group) =>
        withCompute(group[0]!.computeEndpoint, async (compute) => {
          const found = await listJobVms(
            compute,
            group[0]!.project,
            currentGceAttempt(group[0]!).zone,
            group.map((r) => ({ jobId: r.jobId, attempt: currentGceAttempt(r).attempt })),
          );
          for (const vm of found) vms.set(vm.name ?? '', vm);
        }),
      ),
    );
    // Read after the VMs: a VM gone before this read left its exit record first (no false preemption).
    const controls = await readControlFolders(
      reader,
      records.map((record) => ({
        uri: controlFolder(record.runDir, currentGceAttempt(record).attempt),
        storage: storageOf(record),
      })),
    );
    return Promise.all(
      records.map(async (record, i) => {
        const current = currentGceAttempt(record);
        const control = controls[i]!;
        // Released: the machines are gone on purpose; the status seen at the end stays the answer.
        if (control.final) return control.final;
        const replicas = record.replicas;
        const status = attemptStatus({
          attempt: current.attempt,
          replicas,
          control,
          restarts: record.attempts.slice(1).map((a, i) => ({
            attempt: a.attempt,
            at: a.startedAt,
            reason: record.attempts[i]!.restartReason ?? 'restarted',
          })),
          startedAt: current.startedAt,
          machineOf: (replica) => {
            const name = record.standing
              ? record.standing.vms[record.replicas.findIndex((r) => r.name === replica.name)]!.name
              : instanceName(record.jobId, current.attempt, replica.name);
            const fact = machineFact(vms.get(name), name);
            const ranMs = Date.now() - Date.parse(current.startedAt);
            // maxRunDuration stops the VM: a timeout, not a preemption.
            if (
              fact.state === 'gone' &&
              record.maxRunDurationSec &&
              ranMs >= record.maxRunDurationSec * 1000
            ) {
              return { ...fact, timedOut: `scheduling.timeoutSec (${record.maxRunDurationSec} s) passed` };
            }
            return fact;
          },
        });
        if (status.state === 'QUEUED') status.message = `${status.message} (VMs in ${current.zone})`;
        return status;
      }),
    );
  }

  function statusMany(handles: readonly JobHandle[]): Promise<JobStatus[]> {
    return pacer.many(
      handles.map((handle) => gceRecordOf(handle)),
      pacingKey,
      readStatuses,
    );
  }

  async function deleteEveryVm(record: GceJobRecord, below?: number): Promise<void> {
    await withCompute(record.computeEndpoint, async (compute) => {
      // Standing VMs stay: the job is taken back from them.
      if (record.standing) return takeBackVms(compute, record, record.standing.vms);
      const vms = await findJobVmsEverywhere(compute, record.project, record.jobId);
      await deleteVms(
        compute,
        record.project,
        vms.filter((vm) => below === undefined || vm.attempt < below),
      );
    });
  }

  return {
    name: 'gce',
    capabilities: PROVIDER_CAPABILITIES.gce,

    async planContext(jobId, replicaCount) {
      const assigned = new Map<string, number>();
      const free = ports === 'distinct' ? await allocatePorts(replicaCount, { host: LOOPBACK_HOST }) : [];
      return {
        addressOf(role: ReplicaRole, index: number) {
          const replica = `${role}-${index}`;
          if (!assigned.has(replica)) assigned.set(replica, free[assigned.size] ?? CLOUD_TF_PORT);
          return `${instanceName(jobId, 1, replica)}:${assigned.get(replica)}`;
        },
      };
    },

    async submit(plan: ClusterPlan, context) {
      if (plan.provider.name !== 'gce') {
        throw new StratoError('E_INTERNAL', `a ${plan.provider.name} plan was given to the gce provider`);
      }
      const provider = plan.provider;
      const standingVms = provider.vms ? await findStandingVms(provider.vms, context.baseDir) : undefined;
      const computeEndpoint = context.env[COMPUTE_ENDPOINT_ENV] ?? env[COMPUTE_ENDPOINT_ENV];
      const storageEndpoint = context.env.STORAGE_EMULATOR_HOST ?? env.STORAGE_EMULATOR_HOST;
      const planned = machineReplicasOf(plan.replicas);
      const record: GceJobRecord = {
        provider: 'gce',
        jobId: context.jobId,
        project: provider.project,
        zones: standingVms ? [standingVms[0]!.zone] : gceZonesOf(provider),
        runDir: plan.runDir.root,
        image: plan.image!,
        ...(plan.command ? { command: plan.command } : {}),
        args: plan.args,
        replicas: plan.replicas.map((r, i) => ({
          ...planned[i]!,
          machineType: r.resources.machineType!,
          ...(r.resources.accelerator ? { accelerator: r.resources.accelerator } : {}),
          ...(r.resources.diskSizeGb ? { diskSizeGb: r.resources.diskSizeGb } : {}),
        })),
        spot: plan.scheduling.spot,
        ...(plan.scheduling.timeoutSec
          ? { maxRunDurationSec: Math.max(30, plan.scheduling.timeoutSec) }
          : {}),
        ...(provider.serviceAccount ? { serviceAccount: provider.serviceAccount } : {}),
        ...(provider.network ? { network: provider.network } : {}),
        labels: plan.labels,
        ...(computeEndpoint ? { computeEndpoint } : {}),
        ...(storageEndpoint ? { storageEndpoint: storageEndpoint.replace(/\/+$/, '') } : {}),
        attempts: [],
      };
      if (provider.vms && standingVms) {
        record.standing = { ref: provider.vms, vms: standingVms.slice(0, record.replicas.length) };
        // The stack's VMs have no run-time limit of the job's (scheduling.timeoutSec is not applied there).
        delete record.maxRunDurationSec;
        await withCompute(computeEndpoint, (compute) =>
          checkStandingVms(compute, record, provider.vms!, standingVms),
        );
      }
      const handleOf = (data: GceJobRecord): JobHandle => ({
        provider: 'gce',
        id: context.jobId,
        data: data as unknown as Record<string, unknown>,
      });
      context.onPrepared?.(handleOf({ ...record, attempts: [] }));
      const zone = await withCompute(computeEndpoint, (compute) =>
        record.standing ? handOver(compute, record, 1) : launchAttempt(compute, record, 1),
      );
      record.attempts.push({ attempt: 1, zone, startedAt: new Date().toISOString() });
      return handleOf(record);
    },

    async status(handle) {
      return (await statusMany([handle]))[0]!;
    },

    statusMany,

    async startAttempt(handle, attempt, reason) {
      const record = gceRecordOf(handle);
      if (currentGceAttempt(record).attempt >= attempt) return handle;
      const zone = await withCompute(record.computeEndpoint, async (compute) => {
        if (record.standing) return handOver(compute, record, attempt);
        // Another process may have started it: its VMs carry the attempt's label.
        const made = await findJobVmsEverywhere(compute, record.project, record.jobId, attempt);
        // The ended attempts' machines (stopped by a preemption, or still up) go first.
        const old = (await findJobVmsEverywhere(compute, record.project, record.jobId)).filter(
          (vm) => vm.attempt < attempt,
        );
        await deleteVms(compute, record.project, old);
        if (made[0]) {
          const only = { ...record, zones: [made[0].zone] };
          return launchAttempt(compute, only, attempt);
        }
        return launchAttempt(compute, record, attempt);
      });
      return handleWithAttempt(handle, record, reason, {
        attempt,
        zone,
        startedAt: new Date().toISOString(),
      });
    },

    reattachOptions() {
      return {
        ...(options.pollScale !== undefined ? { pollScale: options.pollScale } : {}),
        ...(options.startupScript !== undefined ? { startupScript: options.startupScript } : {}),
        ports,
      };
    },

    ...machineJobEnds(machineJob, statusMany),

    async abandon(handle) {
      await deleteEveryVm(gceRecordOf(handle, { prepared: true }));
    },
  };
}

/** The registry's entry point. */
export const createProvider = createGceProvider;
