/**
 * The `gcs.bucket-iam-binding` driver: one role's members in a bucket's IAM
 * policy (read-modify-write with the policy's etag, so a concurrent change
 * is not overwritten). A binding belongs to the stack its bucket carries the
 * label of; a binding on a bucket of another owner is never taken over.
 */

import type { Policy, Storage } from '@google-cloud/storage';
import { StratoError } from '../../errors.ts';
import { diffFields } from '../diff.ts';
import type { DriverOptions } from '../registry.ts';
import { type ActualResource, type CloudRef, type ResourceDriver, STACK_LABEL } from '../types.ts';
import type { BucketIamBindingProps } from './bucket-iam-binding.ts';
import { BUCKET_IAM_BINDING_KIND } from './bucket-iam-binding.ts';
import { createStorageClient, statusOf, storageError } from './client.ts';

function bindingName(bucket: string, role: string): string {
  return `${bucket}/${role}`;
}

export function createBucketIamBindingDriver(options: DriverOptions): ResourceDriver<BucketIamBindingProps> {
  let client: Promise<Storage> | undefined;
  const storage = () => {
    client ??= createStorageClient(options);
    return client;
  };

  /** The bucket's stack label and IAM policy; undefined when the bucket does not exist. */
  async function readBucket(name: string): Promise<{ stackLabel?: string; policy: Policy } | undefined> {
    const bucket = (await storage()).bucket(name);
    try {
      const [[metadata], [policy]] = await Promise.all([
        bucket.getMetadata(),
        bucket.iam.getPolicy({ requestedPolicyVersion: 3 }),
      ]);
      const stackLabel = (metadata.labels as Record<string, string> | undefined)?.[STACK_LABEL];
      return { ...(stackLabel ? { stackLabel } : {}), policy };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw storageError(error, `cannot read the IAM policy of gs://${name}`);
    }
  }

  function actualOf(
    ref: CloudRef,
    members: string[],
    stackLabel?: string,
  ): ActualResource<BucketIamBindingProps> {
    const props = {
      bucketName: ref.bucket as string,
      role: ref.role as string,
      members: [...members].sort(),
    };
    return {
      ref,
      props: props as BucketIamBindingProps,
      outputs: { bucket: ref.bucket, role: ref.role, members: props.members },
      ...(stackLabel ? { stackLabel } : {}),
    };
  }

  /** Sets the role's members (none: removes the role), refusing a bucket of another stack. */
  async function setMembers(ref: CloudRef, members: string[], stack: string | undefined, id: string) {
    const bucketName = ref.bucket as string;
    const current = await readBucket(bucketName);
    if (!current) {
      if (members.length === 0) return undefined;
      throw new StratoError('E_NOT_FOUND', `bucket gs://${bucketName} does not exist`, {
        hint: 'deploy the bucket first (it is a dependency of this binding)',
      });
    }
    if (stack !== undefined && current.stackLabel !== stack) {
      throw new StratoError('E_CONFLICT', `bucket gs://${bucketName} does not belong to stack ${stack}`, {
        hint: `to manage its IAM binding with this stack, run \`strato infra import ${id}\``,
      });
    }
    const bindings = (current.policy.bindings ?? []).filter((binding) => binding.role !== ref.role);
    if (members.length > 0) bindings.push({ role: ref.role as string, members });
    try {
      const bucket = (await storage()).bucket(bucketName);
      await bucket.iam.setPolicy({ ...current.policy, bindings });
    } catch (error) {
      throw storageError(error, `cannot set the IAM policy of gs://${bucketName}`);
    }
    return actualOf(ref, members, current.stackLabel);
  }

  return {
    kind: BUCKET_IAM_BINDING_KIND,
    cloudName: (resource) => bindingName(resource.props.bucketName, resource.props.role),
    refOf: (resource, context) => ({
      project: context.project,
      location: 'global',
      name: bindingName(resource.props.bucketName, resource.props.role),
      bucket: resource.props.bucketName,
      role: resource.props.role,
    }),

    async readMany(refs) {
      const found = new Map<string, ActualResource<BucketIamBindingProps>>();
      const buckets = [...new Set(refs.map((ref) => ref.bucket as string))];
      // One policy read per bucket, whatever the number of roles bound on it.
      const read = await Promise.all(buckets.map(async (name) => [name, await readBucket(name)] as const));
      const byBucket = new Map(read);
      for (const ref of refs) {
        const bucket = byBucket.get(ref.bucket as string);
        const binding = bucket?.policy.bindings?.find((b) => b.role === ref.role);
        if (bucket && binding && (binding.members ?? []).length > 0) {
          found.set(ref.name, actualOf(ref, binding.members as string[], bucket.stackLabel));
        }
      }
      return found;
    },

    diff(before, after) {
      return diffFields(
        { bucketName: before.bucketName, role: before.role, members: [...(before.members ?? [])].sort() },
        { bucketName: after.bucketName, role: after.role, members: [...(after.members ?? [])].sort() },
        (path) => path === 'bucketName' || path === 'role',
      );
    },

    async create(resource, context) {
      const ref = this.refOf(resource, context);
      const actual = await setMembers(ref, resource.props.members, context.stack, resource.id);
      return actual!;
    },

    async update(resource, _actual, _changes, context) {
      const ref = this.refOf(resource, context);
      return (await setMembers(ref, resource.props.members, context.stack, resource.id))!;
    },

    async delete(recorded) {
      await setMembers(recorded.ref, [], undefined, recorded.id);
    },
  };
}
