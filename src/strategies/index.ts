export { compile, STRATEGY_COMPILERS } from './compile.ts';
export type * from './plan.ts';
export { CLOUD_TF_PORT, defaultAddressOf } from './plan.ts';
export { defaultTrainerPath, runDirLayout } from './run-dir.ts';
export type { TfCluster, TfConfig, TfTaskType } from './tf-config.ts';
