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
 * The training data and checkpoints live in the stack's bucket (in the
 * slice's region, us-central2); the workers run as the stack's own service
 * account, which may use that bucket's objects, write logs and metrics, and
 * read its TPU node (TensorFlow's TPUClusterResolver finds its peers so) —
 * nothing more. A job spec then names the slice and the bucket.
 */

import { Stack } from '../src/infra/construct.ts';
import { TpuSlice } from '../src/infra/gcp/tpu-slice.ts';
import { Bucket } from '../src/infra/gcs/bucket.ts';
import { BucketIamBinding } from '../src/infra/gcs/bucket-iam-binding.ts';
import { ServiceAccount } from '../src/infra/iam/service-account.ts';

export const stack = new Stack('tpu-pod-slice', {
  project: process.env.STRATO_PROJECT ?? 'my-project',
  region: 'us-central2',
  // v4 is offered in us-central2-b only (https://cloud.google.com/tpu/docs/regions-zones).
  zone: 'us-central2-b',
  labels: { team: 'ml' },
});

export const workers = new ServiceAccount(stack, 'workers', {
  displayName: 'TPU slice workers',
  roles: ['roles/logging.logWriter', 'roles/monitoring.metricWriter', 'roles/tpu.viewer'],
});

export const data = new Bucket(stack, 'data', {
  lifecycle: [{ prefix: 'checkpoints/', deleteAfterDays: 14 }],
});

new BucketIamBinding(stack, 'data-access', {
  bucket: data,
  role: 'roles/storage.objectUser',
  members: [workers],
});

export const slice = new TpuSlice(stack, 'train', {
  acceleratorType: 'v4-32',
  // Multi-host slices take the `-pod` runtime; PJRT is the recommended TF runtime.
  runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
  provisioning: 'spot',
  serviceAccount: workers,
  startupScript: '#!/bin/bash\necho "worker $(hostname) up" >> /var/log/strato-startup.log\n',
});

export default stack;
