/**
 * Two spot A100 VMs for multi-worker training: an auto-mode network, a
 * firewall rule that opens TensorFlow's port 2222 between the VMs only, and
 * two a2-highgpu-1g VMs (one A100 40GB each) on a Deep Learning VM image,
 * stopped after a day at most. Spot VMs cost a fraction of on-demand and may
 * be preempted; Strato's jobs resume from their checkpoints.
 *
 * The VMs run as the stack's own service account, with least privilege:
 * read-write on objects of the stack's data bucket only (a bucket IAM
 * binding), and on the project only log and metric writing and image pulls.
 *
 *   strato infra plan infra/gpu-vms.ts
 *   strato infra deploy infra/gpu-vms.ts
 *   strato infra destroy infra/gpu-vms.ts
 *
 * In your own project, import from 'strato' instead of '../src/…'.
 */

import { Stack } from '../src/infra/construct.ts';
import { Firewall, GpuVms, Network } from '../src/infra/gcp/index.ts';
import { Bucket } from '../src/infra/gcs/bucket.ts';
import { BucketIamBinding } from '../src/infra/gcs/bucket-iam-binding.ts';
import { ServiceAccount } from '../src/infra/iam/service-account.ts';

/** Runs at every boot: reports the GPU, so `gcloud compute instances get-serial-port-output` shows it. */
const STARTUP_SCRIPT = `#!/bin/bash
nvidia-smi --query-gpu=name,memory.total --format=csv,noheader || echo "no GPU driver yet"
`;

export default function gpuVmsStack(): Stack {
  const project = process.env.STRATO_PROJECT ?? 'my-project';
  const stack = new Stack('gpu-vms', {
    project,
    region: 'us-central1',
    zone: 'us-central1-a',
    labels: { team: 'ml' },
  });
  const trainer = new ServiceAccount(stack, 'trainer', {
    displayName: 'GPU trainer VMs',
    roles: ['roles/logging.logWriter', 'roles/monitoring.metricWriter', 'roles/artifactregistry.reader'],
  });
  const data = new Bucket(stack, 'data', { lifecycle: [{ prefix: 'checkpoints/', deleteAfterDays: 14 }] });
  new BucketIamBinding(stack, 'data-access', {
    bucket: data,
    role: 'roles/storage.objectUser',
    members: [trainer],
  });
  const network = new Network(stack, 'net');
  const workers = new GpuVms(stack, 'workers', {
    names: ['worker-0', 'worker-1'],
    machineType: 'a2-highgpu-1g',
    spot: true,
    terminationAction: 'STOP',
    maxRunDurationSec: 24 * 3600,
    bootDiskGb: 200,
    network,
    serviceAccount: trainer,
    startupScript: STARTUP_SCRIPT,
  });
  new Firewall(stack, 'tf-port', { network, targetTags: [workers.tag] });
  return stack;
}
