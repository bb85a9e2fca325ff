/**
 * `BucketIamBinding`: the members holding one role on a bucket. It is
 * authoritative for that role (as Terraform's `google_storage_bucket_iam_binding`):
 * deploy sets exactly these members; other roles on the bucket are left alone.
 */

import type { Construct } from 'constructs';
import { z } from 'zod';
import { InfraResource } from '../construct.ts';
import {
  identityDependencies,
  isServiceAccountIdentity,
  type ServiceAccountIdentity,
} from '../iam/service-account.ts';
import { resourceReference, validateProps } from '../props.ts';
import { BUCKET_KIND, type Bucket } from './bucket.ts';

export const BUCKET_IAM_BINDING_KIND = 'gcs.bucket-iam-binding';

/** IAM principals (https://cloud.google.com/iam/docs/principal-identifiers). */
const MEMBER =
  /^(user|serviceAccount|group|domain|principal|principalSet):\S+$|^(allUsers|allAuthenticatedUsers)$/;

export const BucketIamBindingPropsSchema = z.strictObject({
  bucket: resourceReference<Bucket>(BUCKET_KIND, 'Bucket').describe('The bucket the role is granted on.'),
  role: z
    .string()
    .regex(
      /^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\/[A-Za-z0-9_.]+$/,
      'must be an IAM role, e.g. roles/storage.objectViewer',
    )
    .describe('e.g. `roles/storage.objectViewer`, `roles/storage.objectUser`.'),
  members: z
    .array(
      z
        .string()
        .regex(MEMBER, 'must be a principal, e.g. serviceAccount:NAME@PROJECT.iam.gserviceaccount.com'),
    )
    .min(1)
    .describe('Principals holding the role: `serviceAccount:…`, `user:…`, `group:…`.'),
});

export type BucketIamBindingPropsInput = Omit<z.input<typeof BucketIamBindingPropsSchema>, 'members'> & {
  /** Principals, or `ServiceAccount` constructs (their `serviceAccount:EMAIL`, created first). */
  members: (string | ServiceAccountIdentity)[];
};

/** What the driver receives: the bucket as a reference and by its cloud name. */
export interface BucketIamBindingProps {
  bucket: { ref: string };
  bucketName: string;
  role: string;
  members: string[];
}

export class BucketIamBinding extends InfraResource<Record<string, unknown>> {
  readonly kind = BUCKET_IAM_BINDING_KIND;

  constructor(scope: Construct, id: string, props: BucketIamBindingPropsInput) {
    super(scope, id, {});
    const accounts = (Array.isArray(props.members) ? props.members : []).filter(isServiceAccountIdentity);
    const members = Array.isArray(props.members)
      ? props.members.map((m) => (isServiceAccountIdentity(m) ? m.member : m))
      : props.members;
    const parsed = validateProps(BucketIamBindingPropsSchema, { ...props, members }, this.resourceId);
    // IAM refuses a member account that does not exist yet: the accounts go first.
    for (const account of accounts) {
      for (const dependency of identityDependencies(account)) {
        if (dependency instanceof InfraResource && dependency.kind === 'iam.service-account')
          this.node.addDependency(dependency);
      }
    }
    // Kept as the construct; desiredResources turns it into `{ ref }` and a dependency.
    (this as { props: Record<string, unknown> }).props = {
      bucket: parsed.bucket,
      bucketName: parsed.bucket.bucketName,
      role: parsed.role,
      members: [...new Set(parsed.members)].sort(),
    };
  }
}
