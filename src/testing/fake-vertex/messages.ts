/**
 * Messages as the fake's handlers see them (proto-loader with camelCase
 * fields, enums by name, 64-bit integers as strings, unset fields absent).
 * Only the fields the fake reads or writes are typed.
 * (google/cloud/aiplatform/v1/custom_job.proto, job_service.proto;
 * google/longrunning/operations.proto)
 */

export interface TimestampMessage {
  seconds: string | number;
  nanos?: number;
}

export interface DurationMessage {
  seconds?: string | number;
  nanos?: number;
}

export interface StatusMessage {
  code: number;
  message: string;
}

export interface MachineSpecMessage {
  machineType?: string;
  acceleratorType?: string;
  acceleratorCount?: number;
  tpuTopology?: string;
}

export interface ContainerSpecMessage {
  imageUri?: string;
  command?: string[];
  args?: string[];
  env?: { name?: string; value?: string }[];
}

export interface WorkerPoolSpecMessage {
  machineSpec?: MachineSpecMessage;
  replicaCount?: string | number;
  containerSpec?: ContainerSpecMessage;
  pythonPackageSpec?: Record<string, unknown>;
  diskSpec?: { bootDiskType?: string; bootDiskSizeGb?: number };
  task?: string;
}

export interface SchedulingMessage {
  timeout?: DurationMessage;
  restartJobOnWorkerRestart?: boolean;
  strategy?: string;
  maxWaitDuration?: DurationMessage;
}

export interface CustomJobSpecMessage {
  workerPoolSpecs?: WorkerPoolSpecMessage[];
  scheduling?: SchedulingMessage;
  serviceAccount?: string;
  network?: string;
  baseOutputDirectory?: { outputUriPrefix?: string };
}

export interface CustomJobMessage {
  name?: string;
  displayName?: string;
  jobSpec?: CustomJobSpecMessage;
  state?: string;
  createTime?: TimestampMessage;
  startTime?: TimestampMessage;
  endTime?: TimestampMessage;
  updateTime?: TimestampMessage;
  error?: StatusMessage;
  labels?: Record<string, string>;
}

export interface CreateCustomJobRequest {
  parent?: string;
  customJob?: CustomJobMessage;
}

export interface ListCustomJobsRequest {
  parent?: string;
  filter?: string;
  pageSize?: number;
  pageToken?: string;
}

export interface NameRequest {
  name?: string;
}

export interface AnyMessage {
  typeUrl: string;
  value: Buffer;
}

export interface OperationMessage {
  name: string;
  metadata?: AnyMessage;
  done: boolean;
  response?: AnyMessage;
  error?: StatusMessage;
  result?: 'response' | 'error';
}

export function timestampOf(date: Date): TimestampMessage {
  const ms = date.getTime();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

export function dateOf(timestamp: TimestampMessage | undefined): Date | undefined {
  if (!timestamp) return undefined;
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1_000_000));
}
