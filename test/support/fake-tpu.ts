/** A fake Cloud TPU with fast timing, the real TpuClient (REST) pointed at it, and driver contexts. */

import { createTpuClient, type TpuClient } from '../../src/infra/gcp/tpu-client.ts';
import type { TpuSliceProps } from '../../src/infra/gcp/tpu-slice-props.ts';
import type { DesiredResource, DriverContext, ProgressEvent } from '../../src/infra/types.ts';
import {
  type FakeTpu,
  type FakeTpuOptions,
  fakeTpuEnv,
  startFakeTpu,
} from '../../src/testing/fake-tpu/index.ts';

export const PROJECT = 'my-project';
export const V4_ZONE = 'us-central2-b';
export const V4_PARENT = `projects/${PROJECT}/locations/${V4_ZONE}`;

/** Every state lasts tens of milliseconds: long enough to be seen by a 10 ms poll. */
export const FAST_TPU_TIMING = { acceptMs: 40, provisionMs: 80, operationMs: 20 };

export async function startFastFakeTpu(
  options: FakeTpuOptions = {},
): Promise<{ fake: FakeTpu; client: TpuClient }> {
  const fake = await startFakeTpu({ ...options, timing: { ...FAST_TPU_TIMING, ...options.timing } });
  const client = await createTpuClient({ env: fakeTpuEnv(fake) });
  return { fake, client };
}

/** A driver context for stack `stack`, recording its progress events. */
export function driverContext(
  stack = 'demo',
  extra: Partial<DriverContext> = {},
): DriverContext & { events: ProgressEvent[] } {
  const events: ProgressEvent[] = [];
  return {
    stack,
    project: PROJECT,
    outputsOf: () => ({}),
    onProgress: (event) => events.push(event),
    events,
    ...extra,
  };
}

/** A v4-32 slice as a desired resource (props already parsed, as a construct hands them over). */
export function v4Slice(id = 'train', props: Partial<TpuSliceProps> = {}): DesiredResource<TpuSliceProps> {
  return {
    id,
    kind: 'tpu.queued-resource',
    dependsOn: [],
    props: {
      project: PROJECT,
      zone: V4_ZONE,
      acceleratorType: 'v4-32',
      runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
      provisioning: 'spot',
      enableExternalIps: false,
      labels: { team: 'ml' },
      metadata: {},
      startupScript: 'echo hello',
      tags: [],
      ...props,
    },
  };
}
