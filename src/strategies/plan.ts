/**
 * The cluster plan: a compiled job. Pure data — every replica with its role,
 * resources and exact environment — that a provider turns into running
 * processes, VMs or a CustomJob without knowing any strategy rule.
 */

import type { SpecIssue } from '../errors.ts';
import type { GpuAccelerator, JobSpec, Mesh, ProviderSpec, Strategy } from '../spec/schema.ts';

/** `tpu-host` is one host of a TPU slice; the others are TF_CONFIG task types. */
export type ReplicaRole = 'chief' | 'worker' | 'ps' | 'evaluator' | 'tpu-host';

export interface ReplicaTpu {
  /** Slice accelerator type, e.g. `v4-32`. */
  type: string;
  topology: string;
  runtimeVersion: string;
  generation: string;
  chips: number;
  hosts: number;
}

export interface ReplicaResources {
  machineType?: string;
  accelerator?: GpuAccelerator;
  tpu?: ReplicaTpu;
  diskSizeGb?: number;
}

/**
 * What the job needs from a replica's exit:
 * - `must-succeed`: the job succeeds once every such replica has exited 0;
 *   any non-zero exit fails (or, when preempted, restarts) the job.
 * - `runs-until-end`: a server or side-car (parameter servers, workers under a
 *   coordinator, the evaluator); stopped when the job ends. An early non-zero
 *   exit fails the job; an early exit 0 is fine.
 */
export type ExitPolicy = 'must-succeed' | 'runs-until-end';

export interface ReplicaPlan {
  role: ReplicaRole;
  index: number;
  /** `chief-0`, `worker-1`, `tpu-host-3`: the replica's name in logs and status. */
  name: string;
  /** `host:port` as the provider named it; the address in TF_CONFIG. */
  address: string;
  resources: ReplicaResources;
  /** False for hosts of a multi-host TPU slice that only serve the TPU runtime (TF's single-client model). */
  runsProgram: boolean;
  exitPolicy: ExitPolicy;
  env: Record<string, string>;
}

export interface RunDirLayout {
  /** The run dir URI, without trailing slash. */
  root: string;
  model: string;
  checkpoints: string;
  logs: string;
}

export interface PlannedData {
  /** Local path (resolved against the spec's folder) or URI. */
  source: string;
  destination: string;
  env: string;
}

export interface ClusterPlan {
  jobName: string;
  strategy: Strategy;
  mesh: Mesh | undefined;
  provider: ProviderSpec;
  image: string | undefined;
  command: string[] | undefined;
  args: string[];
  workingDir: string | undefined;
  runDir: RunDirLayout;
  data: PlannedData[];
  replicas: ReplicaPlan[];
  /** Devices that train in lock-step: the factor between per-replica and global batch size. */
  replicasInSync: number;
  scheduling: JobSpec['scheduling'];
  labels: Record<string, string>;
  warnings: SpecIssue[];
}

/** What the provider tells the compiler. */
export interface CompileContext {
  /** The job's run dir URI (resolved `output`). */
  runDir: string;
  /** `host:port` for a replica; providers name hosts (cloud hosts listen on 2222). */
  addressOf(role: ReplicaRole, index: number): string;
  /** Name of the TPU node, for `TPU_NAME` on multi-host slices. Default: the job name. */
  tpuName?: string;
  /** How a URI appears to the trainer; by default `file://` URIs become plain paths. */
  trainerPath?(uri: string): string;
  /** Local data sources resolve against this folder (the spec file's). Default: cwd. */
  baseDir?: string;
}

/** Port TensorFlow servers listen on in cloud replicas (Vertex AI and TFJob use 2222). */
export const CLOUD_TF_PORT = 2222;

/** Addresses as a cloud provider without its own naming would give them. */
export function defaultAddressOf(jobName: string): CompileContext['addressOf'] {
  return (role, index) => `${jobName}-${role}-${index}:${CLOUD_TF_PORT}`;
}
