/** `strato/testing`: the fake cloud, for tests and for trying Strato without an account. */

export {
  type FakeCloud,
  type FakeCloudEndpoints,
  type FakeCloudOptions,
  startFakeCloud,
} from './fake-cloud.ts';
export {
  COMPUTE_ENDPOINT_ENV,
  type FakeCompute,
  type FakeComputeFaults,
  type FakeComputeOptions,
  fakeComputeEnv,
  startFakeCompute,
} from './fake-compute/index.ts';
export {
  type FakeGcs,
  type FakeGcsBucket,
  type FakeGcsOptions,
  type Fault,
  type FaultOptions,
  type FaultRule,
  fakeGcsEnv,
  type RandomFaults,
  startFakeGcs,
} from './fake-gcs/index.ts';
export {
  type FakeTpu,
  type FakeTpuFaults,
  type FakeTpuOptions,
  fakeTpuEnv,
  startFakeTpu,
} from './fake-tpu/index.ts';
export {
  bootBlocker,
  computeVmId,
  Ec2Guests,
  type Ec2GuestsOptions,
  ec2VmId,
  type FakeVmOptions,
  tpuVmId,
  tpuWorkerHostname,
  VmFleet,
  type VmIdentity,
} from './fake-vm/index.ts';
