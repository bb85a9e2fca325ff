/**
 * Cluster plan → the CustomJob Strato submits. Pure: the same plan and
 * options always render the same body (golden files hold one per template).
 * Refuses, with SpecError, any plan pre-flight finds wrong.
 */

import { createHash } from 'node:crypto';
import { SpecError, StratoError } from '../../errors.ts';
import type { ClusterPlan } from '../../strategies/plan.ts';
import type {
  ContainerSpecBody,
  CustomJobBody,
  SchedulingBody,
  SchedulingStrategy,
  WorkerPoolSpecBody,
} from './custom-job-body.ts';
import { diskSpecOf, machineSpecOf } from './machine-spec.ts';
import { checkVertexPlan } from './preflight.ts';
import { assignPools, type PlannedPool, poolEnv } from './worker-pools.ts';

/** Label keys Strato puts on every CustomJob; the job id label finds a job again after a lost response. */
export const LABEL_JOB_ID = 'strato-job-id';
export const LABEL_SPEC_HASH = 'strato-spec-hash';
export const LABEL_ATTEMPT = 'strato-attempt';

/** Label values: up to 63 of a-z, 0-9, `_` and `-` (compute labeling requirements). */
const LABEL_VALUE_MAX = 63;

export interface RenderOptions {
  /** The Strato job id (the job store's key). */
  jobId: string;
  /** 1 for the first submission, then one more per restart after preemption. */
  attempt?: number;
  /** Hash of the job spec; default: a hash of the plan. */
  specHash?: string;
  /**
   * Queue for capacity with Dynamic Workload Scheduler instead of failing
   * when none is free (`FLEX_START`); `maxWaitSec` bounds the wait.
   */
  flexStart?: { maxWaitSec?: number };
}

export function labelValue(value: string): string {
  return value
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '-')
    .slice(0, LABEL_VALUE_MAX);
}

/** A short, stable hash of the plan (warnings aside), for the spec-hash label. */
export function planHash(plan: ClusterPlan): string {
  const { warnings: _warnings, ...rest } = plan;
  return createHash('sha256').update(JSON.stringify(rest)).digest('hex').slice(0, 16);
}

export function displayNameOf(jobId: string, attempt: number): string {
  return attempt > 1 ? `${jobId}-attempt-${attempt}` : jobId;
}

function containerSpec(plan: ClusterPlan, pool: PlannedPool): ContainerSpecBody {
  const spec: ContainerSpecBody = { imageUri: plan.image! };
  if (plan.command) spec.command = [...plan.command];
  if (plan.args.length > 0) spec.args = [...plan.args];
  const env = Object.entries(poolEnv(pool)).map(([name, value]) => ({ name, value }));
  if (env.length > 0) spec.env = env;
  return spec;
}

function workerPoolSpec(plan: ClusterPlan, pool: PlannedPool): WorkerPoolSpecBody {
  const resources = pool.replicas[0]!.resources;
  const machineSpec = machineSpecOf(resources);
  if (!machineSpec) {
    // Pre-flight refuses such plans first; reaching here is a bug.
    throw new StratoError('E_INTERNAL', `no Vertex machine for ${pool.replicas[0]!.name}`, {
      hint: 'This is a bug in Strato; run `strato explain --json` and report the plan.',
    });
  }
  const spec: WorkerPoolSpecBody = {
    machineSpec,
    replicaCount: pool.replicaCount,
    containerSpec: containerSpec(plan, pool),
  };
  const disk = diskSpecOf(resources);
  if (disk) spec.diskSpec = disk;
  return spec;
}

/** Used pools in place; unused ones before the last used one as `{}` (Vertex reads pools by position). */
function workerPoolSpecs(plan: ClusterPlan): WorkerPoolSpecBody[] {
  const pools = assignPools(plan);
  const lastUsed = pools.findLastIndex((p) => p.replicas.length > 0);
  return pools
    .slice(0, lastUsed + 1)
    .map((pool) => (pool.replicas.length > 0 ? workerPoolSpec(plan, pool) : {}));
}

function scheduling(plan: ClusterPlan, options: RenderOptions): SchedulingBody {
  const strategy: SchedulingStrategy = options.flexStart
    ? 'FLEX_START'
    : plan.scheduling.spot
      ? 'SPOT'
      : 'STANDARD';
  const body: SchedulingBody = { strategy };
  if (plan.scheduling.timeoutSec !== undefined) body.timeout = { seconds: plan.scheduling.timeoutSec };
  // Replicas training in lock-step (all-reduce) cannot carry on when one restarts; asynchronous
  // ones (parameter-server workers) can.
  const lockStep = plan.replicas.filter((r) => r.runsProgram && r.exitPolicy === 'must-succeed').length > 1;
  if (lockStep) body.restartJobOnWorkerRestart = true;
  if (options.flexStart?.maxWaitSec !== undefined) {
    body.maxWaitDuration = { seconds: options.flexStart.maxWaitSec };
  }
  return body;
}

/** The Vertex AI CustomJob body a plan becomes (what `strato explain --json` shows); throws a `SpecError` when the plan does not fit Vertex. */
export function renderCustomJob(plan: ClusterPlan, options: RenderOptions): CustomJobBody {
  const findings = checkVertexPlan(plan);
  if (findings.errors.length > 0) throw new SpecError(findings.errors);
  const provider = plan.provider as Extract<ClusterPlan['provider'], { name: 'vertex' }>;
  const attempt = options.attempt ?? 1;
  const jobSpec: CustomJobBody['jobSpec'] = {
    workerPoolSpecs: workerPoolSpecs(plan),
    scheduling: scheduling(plan, options),
    baseOutputDirectory: { outputUriPrefix: plan.runDir.root },
  };
  if (provider.serviceAccount) jobSpec.serviceAccount = provider.serviceAccount;
  if (provider.network) jobSpec.network = provider.network;
  return {
    displayName: displayNameOf(options.jobId, attempt),
    jobSpec,
    labels: {
      ...plan.labels,
      [LABEL_JOB_ID]: labelValue(options.jobId),
      [LABEL_SPEC_HASH]: labelValue(options.specHash ?? planHash(plan)),
      [LABEL_ATTEMPT]: String(attempt),
    },
  };
}
