/**
 * The construct classes a YAML stack may name in `resources`, by type name.
 * A new construct is one line here (its module is loaded only when a YAML
 * stack uses it).
 */

import type { Construct } from 'constructs';
import type { InfraResource } from './construct.ts';

export type ResourceConstructor = new (scope: Construct, id: string, props: never) => InfraResource;

export const CONSTRUCT_TYPES: Readonly<Record<string, () => Promise<ResourceConstructor>>> = {
  Bucket: async () => (await import('./gcs/bucket.ts')).Bucket as unknown as ResourceConstructor,
  BucketIamBinding: async () =>
    (await import('./gcs/bucket-iam-binding.ts')).BucketIamBinding as unknown as ResourceConstructor,
  Network: async () => (await import('./gcp/network.ts')).Network as unknown as ResourceConstructor,
  Firewall: async () => (await import('./gcp/firewall.ts')).Firewall as unknown as ResourceConstructor,
  GpuVms: async () => (await import('./gcp/gpu-vms.ts')).GpuVms as unknown as ResourceConstructor,
  ArtifactRepository: async () =>
    (await import('./artifact-registry/artifact-repository.ts'))
      .ArtifactRepository as unknown as ResourceConstructor,
  ServiceAccount: async () =>
    (await import('./iam/service-account.ts')).ServiceAccount as unknown as ResourceConstructor,
  // Not a resource (nothing is created): an existing account by email, with the roles the stack grants it.
  ExistingServiceAccount: async () =>
    (await import('./iam/service-account.ts')).ExistingServiceAccount as unknown as ResourceConstructor,
  TpuSlice: async () => (await import('./gcp/tpu-slice.ts')).TpuSlice as unknown as ResourceConstructor,
};
