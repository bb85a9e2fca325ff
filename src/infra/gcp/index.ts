/**
 * Compute Engine for infra stacks: the `Network`, `Firewall` and `GpuVms`
 * constructs and the drivers of their kinds (`compute.network`,
 * `compute.firewall`, `compute.instance`). Drivers load
 * `@google-cloud/compute` on first use.
 */

export { COMPUTE_ENDPOINT_ENV } from './compute-api.ts';
export type { ComputeDriverOptions } from './driver-kit.ts';
export { Firewall, type FirewallProps, type FirewallPropsInput, TF_PORT } from './firewall.ts';
export { GpuVm, GpuVms, type GpuVmsPropsInput, INSTANCE_KIND, type InstanceProps } from './gpu-vms.ts';
export { AUTO_MODE_CIDR, Network, type NetworkProps, type NetworkPropsInput } from './network.ts';

/** The three drivers by kind, loaded on use (for the engine's registry). */
export const COMPUTE_DRIVERS = {
  'compute.network': async (options: import('./driver-kit.ts').ComputeDriverOptions) =>
    (await import('./network-driver.ts')).createNetworkDriver(options),
  'compute.firewall': async (options: import('./driver-kit.ts').ComputeDriverOptions) =>
    (await import('./firewall-driver.ts')).createFirewallDriver(options),
  'compute.instance': async (options: import('./driver-kit.ts').ComputeDriverOptions) =>
    (await import('./instance-driver.ts')).createInstanceDriver(options),
} as const;
