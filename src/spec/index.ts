export * from './catalog/gpu.ts';
export * from './catalog/tpu.ts';
export * from './catalog/tpu-runtime.ts';
export { jobSpecJsonSchema, jobSpecJsonSchemaText } from './json-schema.ts';
export { defineJob, type LoadedSpec, loadJobSpecFile, parseJobSpec, parseYaml } from './load.ts';
export { checkCatalogRules, effectiveAccelerator, type Findings } from './rules.ts';
export * from './schema.ts';
