/**
 * The job lifecycle's front door: spec (object or file) → plan → data staged
 * → provider.submit → a record in the job store → a `Job`. Also how any
 * later process gets a job back (`getJob`) or lists them (`listJobs`).
 */

import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { StratoError } from '../errors.ts';
import { absoluteUri } from '../internal/uri.ts';
import type { JobHandle, Provider } from '../providers/types.ts';
import { loadJobSpecFile, parseJobSpec } from '../spec/load.ts';
import type { JobSpec, JobSpecInput } from '../spec/schema.ts';
import type { ClusterPlan } from '../strategies/plan.ts';
import { checkEndpointVariables } from './check.ts';
import { contextOf, type JobsOptions, providerFor } from './context.ts';
import { spawnController } from './controller-launch.ts';
import { newJobId } from './ids.ts';
import { Job } from './job.ts';
import { dropPreparedHandle, keepPreparedHandle } from './launch-guard.ts';
import { planCost } from './plan-cost.ts';
import { planJob } from './plan-job.ts';
import { claimRunDir } from './run-dir-claim.ts';
import { stageJobData } from './stage-data.ts';
import type { JobRecord } from './store.ts';

export { contextOf, type JobsOptions, providerFor } from './context.ts';

/** How `submit` plans, stages and launches a job. */
export interface SubmitOptions extends JobsOptions {
  /** Folder relative paths in a spec object resolve against; default cwd (a file's own folder for files). */
  baseDir?: string;
  /** Run replicas in `docker run` from the image (local provider). */
  docker?: boolean;
  /** Cancel the job when this process exits without cancelling it (what `strato run` does). */
  stopWhenCallerExits?: boolean;
  /** Told about plan warnings and data staging. */
  onProgress?(message: string): void;
  /**
   * Continue this job on purpose: the new job runs in its run dir (the
   * spec's `output:` must be that run dir, or unset) and resumes from its
   * checkpoints. Without it, a run dir holding another job's work is refused
   * (see `run-dir-claim.ts`).
   */
  resume?: string;
  /**
   * Asked with the compiled plan once the run dir is claimed, before any
   * data is uploaded or anything submitted (the CLI shows the cost and asks
   * on a terminal). False stops the submit with `LaunchDeclined`, leaving
   * nothing behind: no job record, no cloud job, the run dir as it was.
   */
  confirm?(plan: ClusterPlan): Promise<boolean> | boolean;
}

/** What `submit` throws when `confirm` said no: nothing was staged or submitted. */
export class LaunchDeclined extends Error {
  constructor(jobName: string) {
    super(`${jobName} was not launched: nothing was submitted`);
    this.name = 'LaunchDeclined';
  }
}

/** The run dir of a new job: the spec's `output:`, the resumed job's, or a fresh one under $STRATO_HOME/runs. */
function runDirFor(
  spec: JobSpec,
  jobId: string,
  baseDir: string,
  home: string,
  resumed: JobRecord | undefined,
): { runDir: string; shared: boolean } {
  const output = spec.output ? absoluteUri(spec.output, baseDir) : undefined;
  if (resumed) {
    if (output && output.replace(/\/+$/, '') !== resumed.runDir.replace(/\/+$/, '')) {
      throw new StratoError(
        'E_USAGE',
        `--resume ${resumed.id}: that job wrote to ${resumed.runDir}, but this spec's output is ${output}`,
        { hint: `set \`output: ${resumed.runDir}\` (or leave it out) to continue ${resumed.id}` },
      );
    }
    return { runDir: resumed.runDir, shared: true };
  }
  // A default run dir is new for every job id: nobody else's work can be in it.
  return output
    ? { runDir: output, shared: true }
    : { runDir: `file://${join(home, 'runs', jobId)}`, shared: false };
}

async function resolveSpec(
  input: string | JobSpecInput | JobSpec,
  options: SubmitOptions,
): Promise<{ spec: JobSpec; baseDir: string; specFile?: string }> {
  if (typeof input === 'string') {
    const loaded = await loadJobSpecFile(input);
    return { spec: loaded.spec, baseDir: options.baseDir ?? loaded.baseDir, specFile: loaded.source };
  }
  return { spec: parseJobSpec(input), baseDir: options.baseDir ?? process.cwd() };
}

/** Submits a job and returns as soon as the provider has accepted it. */
export async function submit(
  input: string | JobSpecInput | JobSpec,
  options: SubmitOptions = {},
): Promise<Job> {
  const { home, env, store } = contextOf(options);
  checkEndpointVariables(env);
  const { spec, baseDir, specFile } = await resolveSpec(input, options);
  const provider = await providerFor({ provider: spec.provider.name }, options);
  const jobId = newJobId(spec.name);
  const resumed = options.resume ? store.getJob(options.resume) : undefined;
  const { runDir, shared } = runDirFor(spec, jobId, baseDir, home, resumed);

  // The first compile counts the replicas, so the provider can name their addresses.
  const probe = planJob(spec, { baseDir, runDir });
  const context = provider.planContext ? await provider.planContext(jobId, probe.replicas.length) : {};
  const plan: ClusterPlan = planJob(spec, { baseDir, runDir, ...context });
  for (const warning of plan.warnings) options.onProgress?.(`warning: ${warning.path}: ${warning.message}`);

  // Before anything is uploaded: a refused run dir costs nothing.
  const claim = shared
    ? await claimRunDir(
        plan.runDir.root,
        { id: jobId, name: spec.name },
        {
          baseDir,
          gcs: { env },
          s3: { env },
          ...(options.resume ? { resume: options.resume } : {}),
        },
      )
    : undefined;
  try {
    if (options.confirm && !(await options.confirm(plan))) throw new LaunchDeclined(spec.name);
    return await launch(plan, spec, { jobId, baseDir, specFile, provider, options });
  } catch (error) {
    await claim?.release().catch(() => {});
    throw error;
  }
}

async function launch(
  plan: ClusterPlan,
  spec: JobSpec,
  args: {
    jobId: string;
    baseDir: string;
    specFile: string | undefined;
    provider: Provider;
    options: SubmitOptions;
  },
): Promise<Job> {
  const { jobId, baseDir, specFile, provider, options } = args;
  const { home, env, store } = contextOf(options);
  if (plan.data.length > 0) {
    const { staged, warnings } = await stageJobData(plan, { baseDir });
    const files = staged.reduce((sum, s) => sum + (s.summary?.files ?? 0), 0);
    const bytes = staged.reduce((sum, s) => sum + (s.summary?.bytes ?? 0), 0);
    const uploaded = staged.reduce((sum, s) => sum + (s.summary?.uploaded ?? 0), 0);
    options.onProgress?.(
      `staged ${files} data file(s), ${(bytes / 1e6).toFixed(1)} MB (${uploaded} copied) → ${plan.data.map((d) => d.destination).join(', ')}`,
    );
    for (const warning of warnings) options.onProgress?.(`warning: ${warning}`);
  }

  const jobDir = store.createJobDir(jobId);
  const controllerSetup = {
    provider: spec.provider.name,
    providerOptions: provider.reattachOptions(),
    home,
    jobId,
  };
  const owned = options.stopWhenCallerExits ?? false;
  // A provider that creates machines has its launch guarded (launch-guard.ts): the controller starts
  // first, so this process dying before the record is saved leaves no machine behind.
  const guarded = provider.abandon !== undefined;
  if (guarded) spawnController(jobDir, controllerSetup, { env, owned, launching: true });
  let prepared: JobHandle | undefined;
  const handle = await provider
    .submit(plan, {
      jobId,
      jobDir,
      baseDir,
      env,
      ...(options.docker ? { docker: true } : {}),
      ...(options.stopWhenCallerExits ? { stopWhenCallerExits: true } : {}),
      ...(guarded
        ? {
            onPrepared: (ready: JobHandle) => {
              prepared = ready;
              keepPreparedHandle(jobDir, ready);
            },
          }
        : {}),
    })
    .catch(async (error: unknown) => {
      // The provider cleans up the attempt it failed to create; what else it made goes here.
      if (prepared) await provider.abandon?.(prepared).catch(() => {});
      // No record will point at the folder, and a provider whose submit threw runs nothing
      // from it (the local supervisor's start is submit's last step): leave nothing behind.
      rmSync(jobDir, { recursive: true, force: true });
      throw error;
    });
  const now = new Date().toISOString();
  const record: JobRecord = {
    version: 1,
    id: jobId,
    name: spec.name,
    provider: spec.provider.name,
    strategy: spec.strategy,
    state: 'QUEUED',
    runDir: plan.runDir.root,
    jobDir,
    ...(specFile ? { specFile } : {}),
    replicaCount: plan.replicas.length,
    maxRestarts: plan.scheduling.maxRestarts,
    ...costOf(plan),
    createdAt: now,
    updatedAt: now,
    handle,
  };
  store.save(record);
  if (guarded) dropPreparedHandle(jobDir);
  // Restarts, the cost cap and releasing machines must not wait for someone to poll: a detached
  // controller watches the job (none is needed, and none starts, for a local or Vertex job that is never
  // restarted nor capped: the default launch path stays as fast).
  else if (
    record.maxRestarts! > 0 ||
    record.cost?.maxCostUsd !== undefined ||
    provider.release !== undefined
  ) {
    spawnController(jobDir, controllerSetup, { env, owned });
  }
  return new Job(record, provider, store);
}

/** What the lifecycle needs to keep `scheduling.maxCostUsd`: the plan's price per hour and the cap. */
function costOf(plan: ClusterPlan): Pick<JobRecord, 'cost'> {
  const hourlyUsd = planCost(plan)?.hourlyUsd;
  if (hourlyUsd === undefined) return {};
  const maxCostUsd = plan.scheduling.maxCostUsd;
  return { cost: { hourlyUsd, ...(maxCostUsd !== undefined ? { maxCostUsd } : {}) } };
}

/** The job with this id, from any process. Throws E_NOT_FOUND (listing the ids that exist). */
export async function getJob(id: string, options: JobsOptions = {}): Promise<Job> {
  const { store } = contextOf(options);
  const record = store.getJob(id);
  return new Job(record, await providerFor(record, options), store);
}

/** Every job in the store, newest first, as last recorded (no provider calls). */
export function listJobs(options: JobsOptions = {}): JobRecord[] {
  return contextOf(options).store.list();
}
