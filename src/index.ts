// The SDK's public face: re-exports only.

export * from './errors.ts';
export type { JobEvent } from './jobs/events.ts';
export { Job, type WatchOptions } from './jobs/job.ts';
export { defaultRunDir, type PlanOptions, planJob } from './jobs/plan-job.ts';
export { type StageDataOptions, type StageDataResult, stageJobData } from './jobs/stage-data.ts';
export { createJobStore, type JobRecord, type JobStore } from './jobs/store.ts';
export { getJob, type JobsOptions, listJobs, type SubmitOptions, submit } from './jobs/submit.ts';
export { type WatchJobsOptions, type WatchTick, watchJobs } from './jobs/watch.ts';
export { renderHtmlReport } from './metrics/charts/html.ts';
export { DecodePool, type DecodePoolOptions, sharedDecodePool } from './metrics/decode-pool.ts';
export { groupSeries } from './metrics/series.ts';
export { type FollowRunMetricsOptions, followRunMetricBatches, followRunMetrics } from './metrics/stream.ts';
export {
  type LatestValue,
  MetricsSummarizer,
  type MetricsSummary,
  summarizeMetrics,
} from './metrics/summary.ts';
export type { MetricEvent, MetricsWarning, MetricsWarningKind } from './metrics/types.ts';
export { EventFileWriter, type EventFileWriterOptions } from './metrics/writer.ts';
export { PROVIDER_CAPABILITIES, type ProviderCapabilities } from './providers/capabilities.ts';
export { createLocalProvider, type LocalProviderOptions } from './providers/local/index.ts';
export {
  type ReplicaGroup,
  type ReplicaProcessSpec,
  startReplicaGroup,
} from './providers/local/replica-group.ts';
export { loadProvider, PROVIDER_LOADERS, type ProviderOptions } from './providers/registry.ts';
export * from './providers/types.ts';
export { renderCustomJob } from './providers/vertex/custom-job.ts';
export {
  createVertexProvider,
  VERTEX_ENDPOINT_ENV,
  type VertexProviderOptions,
} from './providers/vertex/index.ts';
export { checkVertexPlan } from './providers/vertex/preflight.ts';
export * from './spec/catalog/vertex.ts';
export * from './spec/index.ts';
export { type OpenedStore, openObjectStore, type StoreOptions } from './storage/open.ts';
export { type SyncSummary, type UploadDatasetOptions, uploadDataset } from './storage/sync/upload-dataset.ts';
export type * from './storage/types.ts';
export { listAll } from './storage/types.ts';
export * from './strategies/index.ts';
