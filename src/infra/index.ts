/**
 * Infrastructure as code, the SDK's face: constructs to declare a stack,
 * and the operations over it (plan, deploy, destroy, import, outputs).
 */

export type { ApplyEvent, ApplyResult } from './apply.ts';
export {
  ArtifactRepository,
  type ArtifactRepositoryProps,
  type ArtifactRepositoryPropsInput,
} from './artifact-registry/artifact-repository.ts';
export { InfraResource, type ResourceRef, Stack, type StackProps } from './construct.ts';
export {
  type ApplyOutcome,
  type ApplyRunOptions,
  deployStack,
  destroyStack,
  forceUnlock,
  type InfraOptions,
  importResource,
  openStack,
  outputsOf,
  planStack,
} from './engine.ts';
export * from './gcp/index.ts';
export { Bucket, type BucketProps, type BucketPropsInput } from './gcs/bucket.ts';
export { BucketIamBinding, type BucketIamBindingPropsInput } from './gcs/bucket-iam-binding.ts';
export * from './iam/index.ts';
export { type LoadedStack, loadStackFile } from './load.ts';
export type { ActionType, DriftItem, PlannedAction, StackPlan } from './plan.ts';
export { type DriverLoader, type DriverOptions, DriverRegistry } from './registry.ts';
export { emptyState, STATE_VERSION, type StackState } from './state.ts';
export type * from './types.ts';
