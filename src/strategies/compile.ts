/**
 * The compiler: JobSpec → ClusterPlan. Strategy rules live here and in the
 * per-strategy files, never in a provider.
 */

import { basename, resolve } from 'node:path';
import { SpecError } from '../errors.ts';
import { isUri, joinUri } from '../internal/uri.ts';
import { checkCatalogRules, mergeFindings } from '../spec/rules.ts';
import type { JobSpec, Strategy } from '../spec/schema.ts';
import { addMeshEnv, checkMesh } from './mesh.ts';
import { mirrored } from './mirrored.ts';
import { multiWorkerMirrored } from './multi-worker-mirrored.ts';
import { oneDevice } from './one-device.ts';
import { parameterServer } from './parameter-server.ts';
import type { ClusterPlan, CompileContext, PlannedData, ReplicaPlan } from './plan.ts';
import { defaultTrainerPath, runDirLayout } from './run-dir.ts';
import { tpu } from './tpu.ts';
import type { StrategyCompiler } from './types.ts';

export const STRATEGY_COMPILERS: Readonly<Record<Strategy, StrategyCompiler>> = {
  'one-device': oneDevice,
  mirrored,
  'multi-worker-mirrored': multiWorkerMirrored,
  'parameter-server': parameterServer,
  tpu,
};

function planData(spec: JobSpec, ctx: CompileContext): PlannedData[] {
  const baseDir = ctx.baseDir ?? process.cwd();
  return spec.data.map((entry) => {
    const source = isUri(entry.source) ? entry.source : resolve(baseDir, entry.source);
    const name = basename(source.replace(/\/+$/, ''));
    return { source, destination: entry.destination ?? joinUri(ctx.runDir, 'data', name), env: entry.env };
  });
}

/** Env every replica gets, whatever the strategy. */
function commonEnv(
  spec: JobSpec,
  plan: Pick<ClusterPlan, 'runDir' | 'data' | 'replicasInSync'>,
  replica: ReplicaPlan,
  ctx: CompileContext,
) {
  const path = ctx.trainerPath ?? defaultTrainerPath;
  const env: Record<string, string> = { ...spec.container.env };
  for (const data of plan.data) env[data.env] = path(data.destination);
  env.AIP_MODEL_DIR = path(plan.runDir.model);
  env.AIP_CHECKPOINT_DIR = path(plan.runDir.checkpoints);
  env.AIP_TENSORBOARD_LOG_DIR = path(plan.runDir.logs);
  env.STRATO_JOB_NAME = spec.name;
  env.STRATO_STRATEGY = spec.strategy;
  env.STRATO_ROLE = replica.role;
  env.STRATO_REPLICA_INDEX = String(replica.index);
  env.STRATO_REPLICAS_IN_SYNC = String(plan.replicasInSync);
  return env;
}

/**
 * Compiles a parsed spec. Throws SpecError with every problem found; the
 * plan's `warnings` carry what is allowed but probably not meant.
 */
export function compile(spec: JobSpec, ctx: CompileContext): ClusterPlan {
  const strategy = STRATEGY_COMPILERS[spec.strategy];
  const findings = mergeFindings(checkCatalogRules(spec), strategy.check(spec));
  if (findings.errors.length > 0) throw new SpecError(findings.errors);

  const replicasInSync = strategy.replicasInSync(spec);
  const meshErrors = checkMesh(spec, replicasInSync);
  if (meshErrors.length > 0) throw new SpecError(meshErrors);

  const runDir = runDirLayout(ctx.runDir);
  const data = planData(spec, ctx);
  const replicas = strategy.replicas(spec, ctx);
  for (const replica of replicas) {
    // Hosts that run nothing of the job (TPU runtime only) get no environment.
    if (!replica.runsProgram) continue;
    // Strategy variables first, for reading; reserved names are refused in user env, so nothing collides.
    const common = commonEnv(spec, { runDir, data, replicasInSync }, replica, ctx);
    replica.env = { ...replica.env, ...common, ...replica.env };
  }
  if (spec.mesh) addMeshEnv(replicas, spec.mesh);

  return {
    jobName: spec.name,
    strategy: spec.strategy,
    mesh: spec.mesh,
    provider: spec.provider,
    image: spec.container.image,
    command: spec.container.command,
    args: spec.container.args,
    workingDir: spec.container.workingDir,
    runDir,
    data,
    replicas,
    replicasInSync,
    scheduling: spec.scheduling,
    labels: spec.labels,
    warnings: findings.warnings,
  };
}
