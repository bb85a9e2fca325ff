/**
 * The replicas of a CustomJob and the environment Vertex injects into each:
 * `CLUSTER_SPEC` (pools as `workerpool0..3`), `TF_CONFIG` (pool 0 as the
 * chief, 1 workers, 2 ps; the evaluator of pool 3 outside the cluster), both
 * carrying the CustomJobSpec as `job`, the
 * `AIP_*` output dirs under `baseOutputDirectory`, `CLOUD_ML_JOB_ID`, and for
 * the hosts of a TPU VM slice `TPU_WORKER_ID` / `TPU_WORKER_HOSTNAMES`.
 * (https://cloud.google.com/vertex-ai/docs/training/distributed-training#cluster-variables,
 * https://cloud.google.com/vertex-ai/docs/training/code-requirements#environment-variables)
 */

import { vertexTpuShapesOf } from '../../spec/catalog/vertex.ts';
import type { CustomJobMessage, WorkerPoolSpecMessage } from './messages.ts';

/** TF_CONFIG task type of each pool position. */
const TF_TASK_TYPES = ['chief', 'worker', 'ps', 'evaluator'] as const;

export interface FakeReplica {
  /** `workerpool1-0` as Vertex names replicas in logs and errors; `workerpool0-0-vm2` for a TPU host. */
  name: string;
  pool: number;
  /** Replica index in its pool (the TF_CONFIG / CLUSTER_SPEC task index). */
  index: number;
  /** VM of a TPU slice replica (0 otherwise). */
  vm: number;
  address: string;
  command: string[];
  env: Record<string, string>;
}

/** VMs one replica of a pool takes: the slice's VMs for a TPU VM machine type, else 1. */
export function vmsPerReplica(pool: WorkerPoolSpecMessage): number {
  const machineType = pool.machineSpec?.machineType ?? '';
  const shape = vertexTpuShapesOf(machineType).find((s) => s.topology === pool.machineSpec?.tpuTopology);
  return shape?.vms ?? 1;
}

export function isTpuVmPool(pool: WorkerPoolSpecMessage): boolean {
  return vertexTpuShapesOf(pool.machineSpec?.machineType ?? '').length > 0;
}

function outputEnv(job: CustomJobMessage): Record<string, string> {
  const base = job.jobSpec?.baseOutputDirectory?.outputUriPrefix?.replace(/\/+$/, '');
  if (!base) return {};
  return {
    AIP_MODEL_DIR: `${base}/model/`,
    AIP_CHECKPOINT_DIR: `${base}/checkpoints/`,
    AIP_TENSORBOARD_LOG_DIR: `${base}/logs/`,
  };
}

/**
 * A distinct host for each VM of a TPU slice, as real slices have: a
 * loopback address of its own (127.0.0.1, 127.0.0.2, …; Linux routes all of
 * 127/8 to this machine). The fake's processes listen on their cluster
 * addresses (127.0.0.1, one port each); these name the slice's hosts.
 */
function sliceHostOf(vm: number): string {
  const n = vm + 1;
  return `127.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** The job's CustomJobSpec as JSON (the proto3 mapping's field names; replica counts as numbers). */
function specJson(job: CustomJobMessage): Record<string, unknown> {
  const spec = job.jobSpec ?? {};
  return {
    ...spec,
    workerPoolSpecs: (spec.workerPoolSpecs ?? []).map(({ task: _oneof, replicaCount, ...pool }) => ({
      ...pool,
      replicaCount: String(replicaCount ?? 0),
    })),
  };
}

export interface ClusterInput {
  job: CustomJobMessage;
  jobId: string;
  /** A fresh `host:port` for the next process. */
  nextAddress(): string;
  /** How to run a pool's container: its command, or what its image runs when it has none. */
  commandOf(pool: WorkerPoolSpecMessage): string[];
  /**
   * The host name of a replica's machine, as Vertex names them in the cluster
   * (`cmle-training-workerpool1-<job>-0`); absent, addresses stay as
   * `nextAddress` gave them. The port stays `nextAddress`'s: on one machine
   * two TensorFlow servers cannot both listen on 2222.
   */
  hostOf?(pool: number, index: number): string;
}

interface PlacedProcess {
  pool: number;
  index: number;
  vm: number;
  address: string;
}

function place(
  pools: readonly WorkerPoolSpecMessage[],
  nextAddress: () => string,
  hostOf: ClusterInput['hostOf'],
): PlacedProcess[] {
  const placed: PlacedProcess[] = [];
  pools.forEach((pool, poolIndex) => {
    const vms = vmsPerReplica(pool);
    for (let index = 0; index < Number(pool.replicaCount ?? 0); index++) {
      for (let vm = 0; vm < vms; vm++) {
        const address = nextAddress();
        const port = address.slice(address.lastIndexOf(':') + 1);
        placed.push({
          pool: poolIndex,
          index,
          vm,
          address: hostOf && vm === 0 ? `${hostOf(poolIndex, index)}:${port}` : address,
        });
      }
    }
  });
  return placed;
}

export function clusterReplicas({ job, jobId, nextAddress, commandOf, hostOf }: ClusterInput): FakeReplica[] {
  const pools = job.jobSpec?.workerPoolSpecs ?? [];
  const placed = place(pools, nextAddress, hostOf);
  // A replica's address in the cluster is its first VM's.
  const replicaAddresses = (pool: number) =>
    placed.filter((p) => p.pool === pool && p.vm === 0).map((p) => p.address);
  const clusterSpecCluster: Record<string, string[]> = {};
  const tfCluster: Record<string, string[]> = {};
  pools.forEach((_, pool) => {
    const list = replicaAddresses(pool);
    if (list.length === 0) return;
    clusterSpecCluster[`workerpool${pool}`] = list;
    if (pool < 3) tfCluster[TF_TASK_TYPES[pool]!] = list;
  });
  // Vertex puts the CustomJobSpec the job was created with in both variables, as `job`.
  const jobSpecJson = specJson(job);
  return placed.map(({ pool: poolIndex, index, vm, address }) => {
    const pool = pools[poolIndex]!;
    const vms = vmsPerReplica(pool);
    const env: Record<string, string> = {
      ...Object.fromEntries((pool.containerSpec?.env ?? []).map((e) => [e.name ?? '', e.value ?? ''])),
      ...outputEnv(job),
      CLOUD_ML_JOB_ID: jobId,
      CLUSTER_SPEC: JSON.stringify({
        cluster: clusterSpecCluster,
        environment: 'cloud',
        task: { type: `workerpool${poolIndex}`, index, trial: '' },
        job: jobSpecJson,
      }),
      TF_CONFIG: JSON.stringify({
        cluster: tfCluster,
        environment: 'cloud',
        task: { type: TF_TASK_TYPES[poolIndex] ?? 'worker', index, trial: '' },
        job: jobSpecJson,
      }),
    };
    if (isTpuVmPool(pool)) {
      const hosts = placed.filter((p) => p.pool === poolIndex && p.index === index);
      env.TPU_WORKER_ID = String(vm);
      env.TPU_WORKER_HOSTNAMES = hosts.map((h) => sliceHostOf(h.vm)).join(',');
    }
    return {
      name: vms > 1 ? `workerpool${poolIndex}-${index}-vm${vm}` : `workerpool${poolIndex}-${index}`,
      pool: poolIndex,
      index,
      vm,
      address,
      command: [...commandOf(pool), ...(pool.containerSpec?.args ?? [])],
      env,
    };
  });
}
