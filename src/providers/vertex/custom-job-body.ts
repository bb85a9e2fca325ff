/**
 * The `google.cloud.aiplatform.v1.CustomJob` fields Strato writes, as plain
 * objects in the shape the Node client takes (camelCase, enums by name,
 * `Duration` as `{seconds}`). Kept here rather than borrowed from
 * `@google-cloud/aiplatform` so rendering never loads the cloud SDK.
 * (google/cloud/aiplatform/v1/custom_job.proto, machine_resources.proto)
 */

/** `google.protobuf.Duration` as the gRPC client takes it. */
export interface DurationBody {
  seconds: number;
}

export interface MachineSpecBody {
  machineType: string;
  /** `AcceleratorType` enum name, e.g. `NVIDIA_TESLA_T4`, `TPU_V3`. */
  acceleratorType?: string;
  acceleratorCount?: number;
  /** TPU VM slices: chip topology, e.g. `4x4`. */
  tpuTopology?: string;
}

export interface EnvVarBody {
  name: string;
  value: string;
}

export interface ContainerSpecBody {
  imageUri: string;
  command?: string[];
  args?: string[];
  env?: EnvVarBody[];
}

export interface DiskSpecBody {
  bootDiskType: string;
  bootDiskSizeGb: number;
}

/** A used pool, or `{}` to hold the place of an unused one before a used one. */
export interface WorkerPoolSpecBody {
  machineSpec?: MachineSpecBody;
  replicaCount?: number;
  containerSpec?: ContainerSpecBody;
  diskSpec?: DiskSpecBody;
}

export type SchedulingStrategy = 'STANDARD' | 'SPOT' | 'FLEX_START';

export interface SchedulingBody {
  timeout?: DurationBody;
  restartJobOnWorkerRestart?: boolean;
  strategy: SchedulingStrategy;
  maxWaitDuration?: DurationBody;
}

export interface CustomJobSpecBody {
  workerPoolSpecs: WorkerPoolSpecBody[];
  scheduling: SchedulingBody;
  serviceAccount?: string;
  network?: string;
  baseOutputDirectory: { outputUriPrefix: string };
}

export interface CustomJobBody {
  displayName: string;
  jobSpec: CustomJobSpecBody;
  labels: Record<string, string>;
}
