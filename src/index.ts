/**
 * The Strato SDK: what a TypeScript user needs to describe a job, see its
 * plan, submit and follow it, read its metrics and upload its data. Every
 * name here is public and documented where it is declared; everything else
 * under `src/` is internal and may change. The fake cloud is the separate
 * entry point `strato/testing`.
 */

// Errors: every problem Strato reports is a StratoError with a code, a hint and (for specs) the field path.
export { type ErrorCode, SpecError, type SpecIssue, StratoError } from './errors.ts';
// Infrastructure as code: stacks of buckets and machines, planned and deployed like Terraform (src/infra).
export * from './infra/index.ts';
// Jobs: submit, get back, list, follow and cancel, on any provider.
export {
  CHECK_TARGETS,
  type CheckItem,
  type CheckOptions,
  type CheckResult,
  type CheckTarget,
  checkSetup,
} from './jobs/check.ts';
export type { JobEvent } from './jobs/events.ts';
export { Job, type WatchOptions } from './jobs/job.ts';
// What a plan's machines cost an hour (list prices), and whether a launch is billed.
export { isBillableLaunch, type MachineGroup, type PlanCost, planCost } from './jobs/plan-cost.ts';
// The cluster plan: every replica with its role, machine and exact environment (TF_CONFIG and friends).
export { defaultRunDir, type PlanOptions, planJob } from './jobs/plan-job.ts';
export { decideRestart, type RestartDecision } from './jobs/restart-policy.ts';
export { RUN_DIR_MARKER, type RunDirMarker } from './jobs/run-dir-claim.ts';
export type { JobRecord } from './jobs/store.ts';
export {
  getJob,
  type JobsOptions,
  LaunchDeclined,
  listJobs,
  type SubmitOptions,
  submit,
} from './jobs/submit.ts';
export { type WatchJobsOptions, type WatchTick, watchJobs } from './jobs/watch.ts';
// Metrics: TensorBoard event files read from the run dir, followed live or summarised.
export { renderHtmlReport } from './metrics/charts/html.ts';
export { type FollowRunMetricsOptions, followRunMetrics } from './metrics/stream.ts';
export { type LatestValue, type MetricsSummary, summarizeMetrics } from './metrics/summary.ts';
export type { MetricEvent, MetricsWarning, MetricsWarningKind } from './metrics/types.ts';
export { EventFileWriter, type EventFileWriterOptions } from './metrics/writer.ts';
// Providers: where replicas run, and the facts they report.
export { PROVIDER_CAPABILITIES, type ProviderCapabilities } from './providers/capabilities.ts';
export { createLocalProvider, type LocalProviderOptions } from './providers/local/index.ts';
export { loadProvider, type ProviderOptions } from './providers/registry.ts';
export {
  type AttemptOutcome,
  isTerminalState,
  type JobHandle,
  type JobState,
  type JobStatus,
  type LogLine,
  type LogOptions,
  type Provider,
  type ReplicaState,
  type ReplicaStatus,
} from './providers/types.ts';
export { renderCustomJob } from './providers/vertex/custom-job.ts';
export {
  createVertexProvider,
  VERTEX_ENDPOINT_ENV,
  type VertexProviderOptions,
} from './providers/vertex/index.ts';
// The machine catalog the spec is checked against.
export { findGpuType, GPU_TYPES, type GpuType } from './spec/catalog/gpu.ts';
export { findTpuSlice, type ResolvedTpu, TPU_GENERATIONS, type TpuGeneration } from './spec/catalog/tpu.ts';
export { VERTEX_MACHINE_TYPES, VERTEX_REGIONS } from './spec/catalog/vertex.ts';
// Job specs: write one in TypeScript (defineJob), parse one from YAML or an object, or load a file.
export { jobSpecJsonSchema } from './spec/json-schema.ts';
export { defineJob, type LoadedSpec, loadJobSpecFile, parseJobSpec } from './spec/load.ts';
export {
  type GpuAccelerator,
  type JobSpec,
  type JobSpecInput,
  JobSpecSchema,
  type Mesh,
  PROVIDER_NAMES,
  type ProviderName,
  type ProviderSpec,
  ROLE_NAMES,
  type RoleName,
  type RoleResources,
  STRATEGIES,
  type Strategy,
  type TpuResource,
} from './spec/schema.ts';
// Data: object stores (file://, gs://, s3://) and the resumable, verified upload of a dataset.
export { type OpenedStore, openObjectStore, type StoreOptions } from './storage/open.ts';
export { type SyncSummary, type UploadDatasetOptions, uploadDataset } from './storage/sync/upload-dataset.ts';
export { listAll, type ObjectInfo, type ObjectStore } from './storage/types.ts';
export type {
  ClusterPlan,
  ExitPolicy,
  PlannedData,
  ReplicaPlan,
  ReplicaResources,
  ReplicaRole,
  ReplicaTpu,
  RunDirLayout,
} from './strategies/plan.ts';
export type { TfCluster, TfConfig, TfTaskType } from './strategies/tf-config.ts';
