/**
 * Fake VMs that really boot: the fake Compute's instances and the fake TPU's
 * worker hosts run their startup script on this machine, each with a
 * metadata server, a `docker` test double and every fake VM's name in its
 * `/etc/hosts`. Turned on with `boot` in the options of `startFakeCompute`,
 * `startFakeTpu` or `startFakeCloud`.
 */

export { bootBlocker } from '../hosts-file.ts';
export { computeVmId } from './compute-guests.ts';
export { Ec2Guests, type Ec2GuestsOptions, ec2VmId } from './ec2-guests.ts';
export { type FakeVmOptions, VmFleet } from './fleet.ts';
export type { VmIdentity } from './identity.ts';
export { tpuVmId, tpuWorkerHostname } from './tpu-guests.ts';
