/**
 * A standing TPU v4-32 pod slice (16 chips, 4 TPU VM hosts) for TensorFlow
 * `tpu` strategy jobs, as spot capacity through a queued resource: cheaper,
 * may wait for capacity (deploy shows WAITING_FOR_RESOURCES, PROVISIONING)
 * and may be preempted (its queued resource then reads SUSPENDED).
 *
 *   strato infra plan infra/tpu-pod-slice.ts
 *   strato infra deploy infra/tpu-pod-slice.ts
 *   strato infra outputs infra/tpu-pod-slice.ts   # node name, worker IPs
 *
 * The training data and checkpoints live in a bucket: that comes from the
 * `Bucket` construct (in the same region as the slice, us-central2), declared
 * beside this slice once it is in the stack; a job spec then names both.
 */

import { Stack } from '../src/infra/construct.ts';
import { TpuSlice } from '../src/infra/gcp/tpu-slice.ts';

export const stack = new Stack('tpu-pod-slice', {
  project: process.env.STRATO_PROJECT ?? 'my-project',
  region: 'us-central2',
  // v4 is offered in us-central2-b only (https://cloud.google.com/tpu/docs/regions-zones).
  zone: 'us-central2-b',
  labels: { team: 'ml' },
});

export const slice = new TpuSlice(stack, 'train', {
  acceleratorType: 'v4-32',
  // Multi-host slices take the `-pod` runtime; PJRT is the recommended TF runtime.
  runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
  provisioning: 'spot',
  startupScript: '#!/bin/bash\necho "worker $(hostname) up" >> /var/log/strato-startup.log\n',
});

export default stack;
