/**
 * Replicas → Vertex worker pools. Vertex names the pools by position and
 * derives each replica's TF_CONFIG task type from it: `[0]` the primary
 * ("chief", one replica), `[1]` workers, `[2]` parameter servers, `[3]` the
 * evaluator. A job without a chief (multi-worker-mirrored, one-device,
 * mirrored) puts worker 0 in pool 0 and the other workers in pool 1, as
 * Vertex expects. A TPU slice is one replica of pool 0 however many hosts it
 * has: Vertex provisions the hosts from the topology.
 * (https://cloud.google.com/vertex-ai/docs/training/distributed-training#cluster-spec-format)
 */

import { StratoError } from '../../errors.ts';
import type { ClusterPlan, ReplicaPlan } from '../../strategies/plan.ts';

/** Pool positions Vertex gives meaning to. */
export const POOL_INDEX = { primary: 0, worker: 1, ps: 2, evaluator: 3 } as const;
export const POOL_COUNT = 4;

export interface PlannedPool {
  index: number;
  /** The plan's replicas in this pool; for a TPU slice every host (one Vertex replica). */
  replicas: ReplicaPlan[];
  /** `replicaCount` Vertex gets. */
  replicaCount: number;
}

/** Variables Vertex sets itself on every replica (training code requirements page). */
const VERTEX_INJECTED = [/^TF_CONFIG$/, /^CLUSTER_SPEC$/, /^AIP_/];
/**
 * Variables that differ between replicas of one pool. A pool has one
 * container spec, so on Vertex a replica learns its index from CLUSTER_SPEC /
 * TF_CONFIG, and a TPU host from TPU_WORKER_ID / TPU_WORKER_HOSTNAMES, which
 * Vertex sets; the plan's host names (used by DTENSOR_JOBS) do not exist there.
 */
const PER_REPLICA = new Set(['STRATO_REPLICA_INDEX', 'DTENSOR_CLIENT_ID', 'DTENSOR_JOBS']);

export function assignPools(plan: ClusterPlan): PlannedPool[] {
  const of = (role: ReplicaPlan['role']) => plan.replicas.filter((r) => r.role === role);
  const tpuHosts = of('tpu-host');
  const chief = of('chief');
  const workers = of('worker');
  const members: ReplicaPlan[][] = [[], [], of('ps'), of('evaluator')];
  if (tpuHosts.length > 0) {
    members[POOL_INDEX.primary] = tpuHosts;
  } else if (chief.length > 0) {
    members[POOL_INDEX.primary] = chief;
    members[POOL_INDEX.worker] = workers;
  } else {
    members[POOL_INDEX.primary] = workers.slice(0, 1);
    members[POOL_INDEX.worker] = workers.slice(1);
  }
  return members.map((replicas, index) => ({
    index,
    replicas,
    replicaCount: tpuHosts.length > 0 && index === POOL_INDEX.primary ? 1 : replicas.length,
  }));
}

/** The env a pool's container gets: the plan's, minus what Vertex injects and what differs per replica. */
export function poolEnv(pool: PlannedPool): Record<string, string> {
  const running = pool.replicas.filter((r) => r.runsProgram);
  const envs = running.map((r) =>
    Object.fromEntries(
      Object.entries(r.env).filter(
        ([name]) => !PER_REPLICA.has(name) && !VERTEX_INJECTED.some((p) => p.test(name)),
      ),
    ),
  );
  const first = envs[0] ?? {};
  const firstJson = JSON.stringify(first);
  const differing = envs.findIndex((env) => JSON.stringify(env) !== firstJson);
  if (differing !== -1) {
    throw new StratoError(
      'E_INTERNAL',
      `replicas ${running[0]!.name} and ${running[differing]!.name} share Vertex pool ${pool.index} but need different environments`,
      { hint: 'This is a bug in Strato; run `strato explain --json` and report the plan.' },
    );
  }
  return first;
}
