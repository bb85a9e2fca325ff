/**
 * A data bucket for training: datasets under `data/`, checkpoints under
 * `checkpoints/` deleted after 14 days, TensorBoard logs kept. Private
 * (uniform access, public access prevention enforced), versioned so an
 * overwritten dataset can be recovered.
 *
 *   strato infra plan infra/data-bucket.ts
 *   strato infra deploy infra/data-bucket.ts
 *   strato infra outputs infra/data-bucket.ts --json
 *
 * In your own project, import from 'strato' instead of '../src/index.ts'.
 */

import { Bucket, BucketIamBinding, Stack } from '../src/index.ts';

export default function dataBucketStack(): Stack {
  const project = process.env.STRATO_PROJECT ?? 'my-project';
  const stack = new Stack('data-bucket', { project, region: 'us-central1', labels: { team: 'ml' } });
  const data = new Bucket(stack, 'data', {
    versioning: true,
    lifecycle: [{ prefix: 'checkpoints/', deleteAfterDays: 14 }],
  });
  new BucketIamBinding(stack, 'trainers-read', {
    bucket: data,
    role: 'roles/storage.objectUser',
    members: [`serviceAccount:trainer@${project}.iam.gserviceaccount.com`],
  });
  return stack;
}
