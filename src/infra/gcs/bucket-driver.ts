/**
 * The `gcs.bucket` driver over `@google-cloud/storage`. Reads list the
 * project's buckets once (one call per project, however many buckets the
 * stack has). Create is idempotent by name: a bucket that already exists
 * with this stack's label is brought to the desired settings and returned;
 * one without the label is never adopted (E_CONFLICT naming `strato infra import`).
 */

import type { Bucket as GcsBucket, Storage } from '@google-cloud/storage';
import { StratoError } from '../../errors.ts';
import { diffFields } from '../diff.ts';
import type { DriverOptions } from '../registry.ts';
import { type ActualResource, type CloudRef, type ResourceDriver, STACK_LABEL } from '../types.ts';
import { BUCKET_KIND, type BucketProps } from './bucket.ts';
import { createStorageClient, statusOf, storageError } from './client.ts';

/** The JSON API's bucket resource, the fields this driver reads. */
interface BucketMetadata {
  name?: string;
  location?: string;
  storageClass?: string;
  labels?: Record<string, string>;
  iamConfiguration?: {
    uniformBucketLevelAccess?: { enabled?: boolean };
    publicAccessPrevention?: string;
  };
  versioning?: { enabled?: boolean };
  lifecycle?: {
    rule?: { action?: { type?: string }; condition?: { age?: number; matchesPrefix?: string[] } }[];
  };
  selfLink?: string;
}

/** Fields whose change cannot be made in place: a bucket's location is fixed at creation. */
const REPLACE_FIELDS = new Set(['location', 'name', 'project']);

function lifecycleOf(metadata: BucketMetadata): BucketProps['lifecycle'] {
  return (metadata.lifecycle?.rule ?? [])
    .filter((rule) => rule.action?.type === 'Delete' && typeof rule.condition?.age === 'number')
    .map((rule) => {
      const prefix = rule.condition?.matchesPrefix?.[0];
      return { deleteAfterDays: rule.condition!.age!, ...(prefix ? { prefix } : {}) };
    });
}

/** The bucket as the cloud reports it, in the construct's terms (without state-only fields). */
export function bucketPropsOf(metadata: BucketMetadata, project: string): Omit<BucketProps, 'forceDestroy'> {
  const { [STACK_LABEL]: _stack, ...labels } = metadata.labels ?? {};
  return {
    name: metadata.name ?? '',
    project,
    location: (metadata.location ?? '').toUpperCase(),
    storageClass: metadata.storageClass ?? 'STANDARD',
    uniformBucketLevelAccess: metadata.iamConfiguration?.uniformBucketLevelAccess?.enabled === true,
    publicAccessPrevention:
      metadata.iamConfiguration?.publicAccessPrevention === 'enforced' ? 'enforced' : 'inherited',
    versioning: metadata.versioning?.enabled === true,
    lifecycle: lifecycleOf(metadata),
    labels,
  };
}

function actualOf(metadata: BucketMetadata, ref: CloudRef): ActualResource<BucketProps> {
  const name = metadata.name ?? ref.name;
  const stackLabel = metadata.labels?.[STACK_LABEL];
  return {
    ref: { ...ref, name },
    props: bucketPropsOf(metadata, ref.project) as BucketProps,
    outputs: { name, uri: `gs://${name}`, location: (metadata.location ?? '').toUpperCase() },
    ...(stackLabel ? { stackLabel } : {}),
  };
}

/** The settings part of a bucket resource, as create and patch send them. */
function settingsBody(props: BucketProps, stack: string) {
  return {
    storageClass: props.storageClass,
    iamConfiguration: {
      uniformBucketLevelAccess: { enabled: props.uniformBucketLevelAccess },
      publicAccessPrevention: props.publicAccessPrevention,
    },
    versioning: { enabled: props.versioning },
    lifecycle: {
      rule: props.lifecycle.map((rule) => ({
        action: { type: 'Delete' },
        condition: { age: rule.deleteAfterDays, ...(rule.prefix ? { matchesPrefix: [rule.prefix] } : {}) },
      })),
    },
    labels: { ...props.labels, [STACK_LABEL]: stack },
  };
}

/** The longest prefix all the names share: the listing then skips the project's other buckets. */
function commonPrefix(names: readonly string[]): string {
  let prefix = names[0] ?? '';
  for (const name of names) while (!name.startsWith(prefix)) prefix = prefix.slice(0, -1);
  return prefix;
}

export function createBucketDriver(options: DriverOptions): ResourceDriver<BucketProps> {
  const clients = new Map<string, Promise<Storage>>();
  /** A client per project: an insert goes to the client's project. */
  const storage = (project = 'strato-infra') => {
    let client = clients.get(project);
    if (!client) {
      client = createStorageClient(options, project);
      clients.set(project, client);
    }
    return client;
  };

  async function findMetadata(bucket: GcsBucket): Promise<BucketMetadata | undefined> {
    try {
      const [metadata] = await bucket.getMetadata();
      return metadata as BucketMetadata;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw storageError(error, `cannot read bucket gs://${bucket.name}`);
    }
  }

  async function patch(bucket: GcsBucket, props: BucketProps, current: BucketMetadata, stack: string) {
    const body = settingsBody(props, stack);
    // A patch merges labels: ones no longer wanted are removed by setting them to null.
    const labels: Record<string, string | null> = { ...body.labels };
    for (const key of Object.keys(current.labels ?? {})) if (!(key in labels)) labels[key] = null;
    try {
      const [metadata] = await bucket.setMetadata({ ...body, labels } as never);
      return metadata as BucketMetadata;
    } catch (error) {
      throw storageError(error, `cannot update bucket gs://${bucket.name}`);
    }
  }

  return {
    kind: BUCKET_KIND,
    cloudName: (resource) => resource.props.name,
    refOf: (resource, context) => ({
      project: resource.props.project ?? context.project,
      location: resource.props.location,
      name: resource.props.name,
    }),

    async readMany(refs, _context) {
      const found = new Map<string, ActualResource<BucketProps>>();
      const byProject = new Map<string, CloudRef[]>();
      for (const ref of refs) byProject.set(ref.project, [...(byProject.get(ref.project) ?? []), ref]);
      const client = await storage();
      for (const [project, projectRefs] of byProject) {
        const wanted = new Map(projectRefs.map((ref) => [ref.name, ref]));
        let listed: GcsBucket[];
        try {
          // One list per project (paged by the client), not one GET per bucket.
          [listed] = await client.getBuckets({
            project,
            prefix: commonPrefix([...wanted.keys()]),
            autoPaginate: true,
          });
        } catch (error) {
          throw storageError(error, `cannot list the buckets of project ${project}`);
        }
        for (const bucket of listed) {
          const ref = wanted.get(bucket.name);
          if (ref) found.set(bucket.name, actualOf(bucket.metadata as BucketMetadata, ref));
        }
      }
      return found;
    },

    diff(before, after) {
      return diffFields(before, after, (path) => REPLACE_FIELDS.has(path.split('.')[0]!));
    },

    async create(resource, context) {
      const props = resource.props;
      const ref = this.refOf(resource, context);
      const client = await storage(ref.project);
      const bucket = client.bucket(props.name);
      try {
        const [created] = await client.createBucket(props.name, {
          location: props.location,
          ...settingsBody(props, context.stack),
        } as never);
        return actualOf(created.metadata as BucketMetadata, ref);
      } catch (error) {
        if (statusOf(error) !== 409) throw storageError(error, `cannot create bucket gs://${props.name}`);
      }
      // The name is taken: ours from a deploy that was cut off, or someone else's.
      const existing = await findMetadata(bucket).catch((error: unknown) => {
        if (error instanceof StratoError && error.code === 'E_AUTH') return undefined;
        throw error;
      });
      if (!existing) {
        throw new StratoError('E_CONFLICT', `bucket name ${props.name} is taken by another project`, {
          hint: `bucket names are global: set \`name\` on ${resource.id} to another name`,
        });
      }
      if (existing.labels?.[STACK_LABEL] !== context.stack) {
        throw new StratoError(
          'E_CONFLICT',
          `bucket gs://${props.name} exists but does not belong to stack ${context.stack}`,
          { hint: `to manage it with this stack, run \`strato infra import ${resource.id}\`` },
        );
      }
      return actualOf(await patch(bucket, props, existing, context.stack), ref);
    },

    async claim(actual, _resource, context) {
      const bucket = (await storage()).bucket(actual.ref.name);
      try {
        // A patch merges labels: this adds the stack's and keeps the others.
        const [metadata] = await bucket.setMetadata({ labels: { [STACK_LABEL]: context.stack } });
        return actualOf(metadata as BucketMetadata, actual.ref);
      } catch (error) {
        throw storageError(error, `cannot label bucket gs://${actual.ref.name}`);
      }
    },

    async update(resource, actual, _changes, context) {
      const client = await storage();
      const bucket = client.bucket(resource.props.name);
      const current = await findMetadata(bucket);
      if (!current) {
        throw new StratoError('E_CONFLICT', `bucket gs://${resource.props.name} is gone`, {
          hint: 'it was deleted outside Strato; run `strato infra deploy` again to create it',
        });
      }
      return actualOf(await patch(bucket, resource.props, current, context.stack), actual.ref);
    },

    async delete(recorded, _context) {
      const client = await storage();
      const bucket = client.bucket(recorded.ref.name);
      const props = recorded.props as Partial<BucketProps>;
      try {
        const [files] = await bucket.getFiles({ maxResults: 1, versions: true, autoPaginate: false });
        if (files.length > 0) {
          if (!props.forceDestroy) {
            throw new StratoError('E_CONFLICT', `bucket gs://${recorded.ref.name} is not empty`, {
              hint: `empty it (gcloud storage rm -r gs://${recorded.ref.name}/**), or set forceDestroy: true on ${recorded.id} and deploy before destroying`,
            });
          }
          await bucket.deleteFiles({ force: true, versions: true });
        }
        await bucket.delete();
      } catch (error) {
        if (statusOf(error) === 404) return;
        throw storageError(error, `cannot delete bucket gs://${recorded.ref.name}`);
      }
    },
  };
}
