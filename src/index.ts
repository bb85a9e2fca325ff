// The SDK's public face: re-exports only.
export * from './errors.ts';
export { defaultRunDir, type PlanOptions, planJob } from './jobs/plan-job.ts';
export { PROVIDER_CAPABILITIES, type ProviderCapabilities } from './providers/capabilities.ts';
export * from './spec/index.ts';
export * from './strategies/index.ts';
