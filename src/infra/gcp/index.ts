/**
 * Google Cloud machines for infra stacks: the `Network`, `Firewall`, `GpuVms`
 * and `TpuSlice` constructs. Their drivers (`compute.network`,
 * `compute.firewall`, `compute.instance`, `tpu.queued-resource`) are in the
 * engine's registry (`../registry.ts`) and load `@google-cloud/compute` or
 * `@google-cloud/tpu` on first use.
 */

export { COMPUTE_ENDPOINT_ENV } from './compute-api.ts';
export type { ComputeDriverOptions } from './driver-kit.ts';
export { Firewall, type FirewallProps, type FirewallPropsInput, TF_PORT } from './firewall.ts';
export { GpuVm, GpuVms, type GpuVmsPropsInput, INSTANCE_KIND, type InstanceProps } from './gpu-vms.ts';
export { AUTO_MODE_CIDR, Network, type NetworkProps, type NetworkPropsInput } from './network.ts';
export { TPU_ENDPOINT_ENV } from './tpu-client.ts';
export { TPU_QUEUED_RESOURCE_KIND, TpuSlice, type TpuSliceOptions } from './tpu-slice.ts';
