/**
 * The `tpu-vm` provider: per attempt a Cloud TPU queued resource
 * `strato-<job>-<attempt>` for the spec's slice (spot or guaranteed), its
 * node's hosts running the startup script, which starts each host's replica
 * (`docker run --privileged`; on a pod only worker 0 runs the program, the
 * others idle) and reports through the bucket (`../machines/`). `status`
 * reads one list of queued resources and one of nodes per zone for all jobs
 * there, plus one listing of each job's control folder, paced; it says why
 * a slice is not running yet ("queued resource WAITING_FOR_RESOURCES in
 * us-central2-b for 4 min: no v4-32 spot capacity yet"). A preempted node
 * (SUSPENDED queued resource) is a preemption. `cancel` and `release`
 * delete the job's queued resources with `force`. On a standing slice
 * (`provider.slice`, `standing.ts`) nothing is queued or deleted: each
 * attempt is handed to the stack's node by metadata and taken back at the end.
 *
 * Endpoints: `STRATO_TPU_ENDPOINT` (a fake's `http://…`: no credentials),
 * Cloud Storage from `STORAGE_EMULATOR_HOST`; a job remembers both.
 */

import { controlFolder } from '../../agent/layout.ts';
import { loadStartupScript } from '../../agent/script.ts';
import { StratoError } from '../../errors.ts';
import { createTpuClient, TPU_ENDPOINT_ENV, type TpuClient } from '../../infra/gcp/tpu-client.ts';
import { translateTpuError } from '../../infra/gcp/tpu-errors.ts';
import type { ClusterPlan } from '../../strategies/plan.ts';
import { PROVIDER_CAPABILITIES } from '../capabilities.ts';
import { attemptStatus } from '../machines/attempt-status.ts';
import { handleWithAttempt } from '../machines/attempts.ts';
import { ClientPool } from '../machines/client-pool.ts';
import { ControlReader, readControlFolders } from '../machines/control.ts';
import { type MachineJob, machineJobEnds } from '../machines/ending.ts';
import { StatusPacer } from '../machines/pacing.ts';
import { machineReplicasOf } from '../machines/replicas.ts';
import type { JobHandle, JobStatus, Provider } from '../types.ts';
import { currentTpuAttempt, queuedResourceId, type TpuJobRecord, tpuRecordOf } from './record.ts';
import { createAttemptSlice, deleteSlices, jobSliceIds, listZone, sliceFact } from './slices.ts';
import {
  checkStandingSlice,
  findStandingSlice,
  getStandingNode,
  handOverSlice,
  standingSliceFact,
  takeBackSlice,
} from './standing.ts';

export interface TpuVmProviderOptions {
  /** Where STRATO_TPU_ENDPOINT and STORAGE_EMULATOR_HOST are read; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The script every host runs; default `src/agent/startup-script.sh`. */
  startupScript?: string;
  /** Multiplies the status pacing intervals (0: read the cloud on every call). Default 1. */
  pollScale?: number;
  now?(): Date;
}

export function createTpuVmProvider(options: TpuVmProviderOptions = {}): Provider & {
  statusMany(handles: readonly JobHandle[]): Promise<JobStatus[]>;
  release(handle: JobHandle): Promise<void>;
  abandon(handle: JobHandle): Promise<void>;
} {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => new Date());
  const pacer = new StatusPacer<JobStatus>(options.pollScale ?? 1);
  const reader = new ControlReader();
  const pacingKey = (record: TpuJobRecord) => `${record.jobId}#${currentTpuAttempt(record).attempt}`;
  const storageOf = (record: TpuJobRecord) => ({ storageEndpoint: record.storageEndpoint, env });

  /** What the shared endings (logs, cancel, release) need of a job. */
  const machineJob = (handle: JobHandle): MachineJob => {
    const record = tpuRecordOf(handle);
    return {
      runDir: record.runDir,
      attempt: currentTpuAttempt(record).attempt,
      storage: storageOf(record),
      forget: () => pacer.forget(pacingKey(record)),
      deleteMachines: () => deleteEverySlice(record),
    };
  };

  // One TPU client per endpoint, shared by the reads of every tick (client-pool.ts says why).
  const clients = new ClientPool<TpuClient>(
    (endpoint) => createTpuClient({ env: endpoint ? { [TPU_ENDPOINT_ENV]: endpoint } : env }),
    (client) => client.close(),
  );

  async function withTpu<T>(
    record: Pick<TpuJobRecord, 'tpuEndpoint' | 'project' | 'zone'>,
    use: (client: TpuClient) => Promise<T>,
  ): Promise<T> {
    let connected = false;
    return clients
      .use(record.tpuEndpoint ?? '', (client) => {
        connected = true;
        return use(client);
      })
      .catch((error: unknown) => {
        if (connected) throw error;
        // Credentials are looked for when the client opens: none found is E_AUTH with the command that fixes it.
        throw translateTpuError(error, {
          action: 'connecting to Cloud TPU',
          project: record.project,
          zone: record.zone,
        });
      });
  }

  async function launchFor(record: TpuJobRecord, attempt: number) {
    return {
      startupScript: options.startupScript ?? (await loadStartupScript()),
      control: controlFolder(record.runDir, attempt),
    };
  }

  async function readStatuses(records: readonly TpuJobRecord[]): Promise<JobStatus[]> {
    const zones = new Map<string, Promise<Awaited<ReturnType<typeof listZone>>>>();
    // A standing slice's node is read by name (it is the stack's, not queued by the job).
    const standingNodes = new Map<string, Promise<Awaited<ReturnType<typeof getStandingNode>>>>();
    for (const record of records) {
      if (record.standing) {
        standingNodes.set(
          record.jobId,
          withTpu(record, (client) => getStandingNode(client, record, record.standing!)),
        );
        continue;
      }
      const key = `${record.tpuEndpoint ?? ''}|${record.project}|${record.zone}`;
      if (!zones.has(key))
        zones.set(
          key,
          withTpu(record, (client) => listZone(client, record)),
        );
    }
    // Read after the slices: a node gone before this read left its exit records first (no false preemption).
    await Promise.all([...zones.values(), ...standingNodes.values()]);
    const controls = await readControlFolders(
      reader,
      records.map((record) => ({
        uri: controlFolder(record.runDir, currentTpuAttempt(record).attempt),
        storage: storageOf(record),
      })),
    );
    return Promise.all(
      records.map(async (record, i) => {
        const current = currentTpuAttempt(record);
        const control = controls[i]!;
        if (control.final) return control.final;
        const id = current.queuedResource;
        const { fact, waiting } = record.standing
          ? { fact: standingSliceFact(record.standing, await standingNodes.get(record.jobId)!) }
          : await (async () => {
              const listed = await zones.get(`${record.tpuEndpoint ?? ''}|${record.project}|${record.zone}`)!;
              return sliceFact(
                record,
                id,
                listed.queued.get(id),
                listed.nodes.get(id),
                current.startedAt,
                now(),
              );
            })();
        return attemptStatus({
          attempt: current.attempt,
          replicas: record.replicas,
          control,
          restarts: record.attempts.slice(1).map((a, i) => ({
            attempt: a.attempt,
            at: a.startedAt,
            reason: record.attempts[i]!.restartReason ?? 'restarted',
          })),
          startedAt: current.startedAt,
          machineOf: () => fact,
          ...(waiting ? { waiting } : {}),
        });
      }),
    );
  }

  function statusMany(handles: readonly JobHandle[]): Promise<JobStatus[]> {
    return pacer.many(
      handles.map((handle) => tpuRecordOf(handle)),
      pacingKey,
      readStatuses,
    );
  }

  async function deleteEverySlice(record: TpuJobRecord, below?: number): Promise<void> {
    await withTpu(record, async (client) => {
      // A standing slice stays: the job is taken back from it.
      if (record.standing) return takeBackSlice(client, record, record.standing);
      const ids = await jobSliceIds(client, record);
      const prefixLength = queuedResourceId(record.jobId, 0).length - 1;
      await deleteSlices(
        client,
        record,
        ids.filter((id) => below === undefined || Number(id.slice(prefixLength)) < below),
      );
    });
  }

  return {
    name: 'tpu-vm',
    capabilities: PROVIDER_CAPABILITIES['tpu-vm'],

    async submit(plan: ClusterPlan, context) {
      if (plan.provider.name !== 'tpu-vm') {
        throw new StratoError('E_INTERNAL', `a ${plan.provider.name} plan was given to the tpu-vm provider`);
      }
      const provider = plan.provider;
      const standing = provider.slice ? await findStandingSlice(provider.slice, context.baseDir) : undefined;
      const tpu = plan.replicas[0]?.resources.tpu;
      if (!tpu) throw new StratoError('E_INTERNAL', 'a tpu-vm plan without a TPU slice');
      const tpuEndpoint = context.env[TPU_ENDPOINT_ENV] ?? env[TPU_ENDPOINT_ENV];
      const storageEndpoint = context.env.STORAGE_EMULATOR_HOST ?? env.STORAGE_EMULATOR_HOST;
      const record: TpuJobRecord = {
        provider: 'tpu-vm',
        jobId: context.jobId,
        project: provider.project,
        zone: standing?.zone ?? provider.zone,
        runDir: plan.runDir.root,
        image: plan.image!,
        ...(plan.command ? { command: plan.command } : {}),
        args: plan.args,
        replicas: machineReplicasOf(plan.replicas),
        acceleratorType: tpu.type,
        runtimeVersion: tpu.runtimeVersion,
        provisioning: plan.scheduling.spot ? 'spot' : 'guaranteed',
        ...(provider.serviceAccount ? { serviceAccount: provider.serviceAccount } : {}),
        ...(provider.network ? { network: provider.network } : {}),
        labels: plan.labels,
        ...(tpuEndpoint ? { tpuEndpoint } : {}),
        ...(storageEndpoint ? { storageEndpoint: storageEndpoint.replace(/\/+$/, '') } : {}),
        attempts: [],
        ...(standing ? { standing: { ref: provider.slice!, ...standing } } : {}),
      };
      if (record.standing) {
        await withTpu(record, (client) =>
          checkStandingSlice(client, record, provider.slice!, record.standing!),
        );
      }
      const launch = await launchFor(record, 1);
      context.onPrepared?.({
        provider: 'tpu-vm',
        id: context.jobId,
        data: { ...record, attempts: [] } as unknown as Record<string, unknown>,
      });
      await withTpu(record, (client) =>
        record.standing
          ? handOverSlice(client, record, record.standing, 1, launch.control)
          : createAttemptSlice(client, record, 1, launch),
      );
      record.attempts.push({
        attempt: 1,
        queuedResource: record.standing?.nodeId ?? queuedResourceId(record.jobId, 1),
        startedAt: now().toISOString(),
      });
      return { provider: 'tpu-vm', id: context.jobId, data: record as unknown as Record<string, unknown> };
    },

    async status(handle) {
      return (await statusMany([handle]))[0]!;
    },

    statusMany,

    async startAttempt(handle, attempt, reason) {
      const record = tpuRecordOf(handle);
      if (currentTpuAttempt(record).attempt >= attempt) return handle;
      const launch = await launchFor(record, attempt);
      if (record.standing) {
        // The same node again, if it is still READY (a preempted node is not restarted: the check says so).
        await withTpu(record, async (client) => {
          await checkStandingSlice(client, record, record.standing!.ref, record.standing!);
          await handOverSlice(client, record, record.standing!, attempt, launch.control);
        });
      } else {
        // The ended attempts' slices go first (a suspended one still holds its name and quota).
        await deleteEverySlice(record, attempt);
        await withTpu(record, (client) => createAttemptSlice(client, record, attempt, launch));
      }
      return handleWithAttempt(handle, record, reason, {
        attempt,
        queuedResource: record.standing?.nodeId ?? queuedResourceId(record.jobId, attempt),
        startedAt: now().toISOString(),
      });
    },

    reattachOptions() {
      return {
        ...(options.pollScale !== undefined ? { pollScale: options.pollScale } : {}),
        ...(options.startupScript !== undefined ? { startupScript: options.startupScript } : {}),
      };
    },

    ...machineJobEnds(machineJob, statusMany),

    async abandon(handle) {
      await deleteEverySlice(tpuRecordOf(handle, { prepared: true }));
    },
  };
}

/** The registry's entry point. */
export const createProvider = createTpuVmProvider;
