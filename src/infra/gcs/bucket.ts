/**
 * `Bucket`: a Cloud Storage bucket for training data and checkpoints, secure
 * by default — uniform bucket-level access on, public access prevention
 * enforced — with lifecycle rules (e.g. checkpoints deleted after N days),
 * versioning, labels, and `forceDestroy` (destroy empties it first).
 *
 * Its cloud name is fixed when the construct is built (`name`, or one made
 * from the project, stack and id), so a deploy that was killed finds the
 * bucket it had created under the same name.
 */

import { createHash } from 'node:crypto';
import type { Construct } from 'constructs';
import { z } from 'zod';
import { InfraResource, type Stack } from '../construct.ts';
import { validateProps } from '../props.ts';

export const BUCKET_KIND = 'gcs.bucket';

/** Label keys and values as Cloud Storage accepts them (https://cloud.google.com/storage/docs/tags-and-labels). */
export const LabelsSchema = z
  .record(
    z
      .string()
      .regex(/^[a-z][a-z0-9_-]{0,62}$/, 'must be a label key: lowercase letters, digits, _ and -, ≤ 63'),
    z.string().regex(/^[a-z0-9_-]{0,63}$/, 'must be a label value: lowercase letters, digits, _ and -, ≤ 63'),
  )
  .describe('Labels on the resource (beside strato-stack, which Strato sets).');

/** Bucket names without dots (https://cloud.google.com/storage/docs/buckets#naming). */
const BUCKET_NAME = /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/;

export const LifecycleRuleSchema = z
  .strictObject({
    deleteAfterDays: z
      .number()
      .int()
      .min(1)
      .describe('Delete objects this many days after they were written.'),
    prefix: z
      .string()
      .min(1)
      .optional()
      .describe('Only objects whose name starts with this, e.g. `checkpoints/`.'),
  })
  .describe('A lifecycle rule: delete objects (under a prefix) after N days.');

export const BucketPropsSchema = z.strictObject({
  name: z
    .string()
    .regex(BUCKET_NAME, 'must be a bucket name: 3-63 lowercase letters, digits, - and _, no dots')
    .optional()
    .describe('Cloud name; default `<project>-<stack>-<id>` (shortened with a hash when long).'),
  project: z.string().min(1).optional().describe("Project; default the stack's."),
  location: z
    .string()
    .min(2)
    .optional()
    .describe("Region (`us-central1`) or multi-region (`US`); default the stack's region, else US."),
  storageClass: z.enum(['STANDARD', 'NEARLINE', 'COLDLINE', 'ARCHIVE']).default('STANDARD'),
  uniformBucketLevelAccess: z.boolean().default(true).describe('IAM only, no object ACLs (default on).'),
  publicAccessPrevention: z
    .enum(['enforced', 'inherited'])
    .default('enforced')
    .describe('`enforced` (default): the bucket can never be made public.'),
  versioning: z
    .boolean()
    .default(false)
    .describe('Keep overwritten and deleted objects as noncurrent versions.'),
  lifecycle: z.array(LifecycleRuleSchema).max(100).default([]),
  forceDestroy: z
    .boolean()
    .default(false)
    .describe(
      'Let `strato infra destroy` delete the objects in it; without it a non-empty bucket is refused.',
    ),
  labels: LabelsSchema.default({}),
});

export type BucketPropsInput = z.input<typeof BucketPropsSchema>;

/** What the driver receives: every default filled in, the name and project decided. */
export type BucketProps = {
  name: string;
  project: string;
  location: string;
  storageClass: string;
  uniformBucketLevelAccess: boolean;
  publicAccessPrevention: 'enforced' | 'inherited';
  versioning: boolean;
  lifecycle: { deleteAfterDays: number; prefix?: string }[];
  forceDestroy: boolean;
  labels: Record<string, string>;
};

/** `<project>-<stack>-<id>`, lowercase, in 63 characters (a hash keeps long ones unique). */
export function defaultBucketName(project: string, stack: string, id: string): string {
  const raw = `${project}-${stack}-${id}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  if (raw.length <= 63 && raw.length >= 3) return raw;
  const hash = createHash('sha256').update(`${project}/${stack}/${id}`).digest('hex').slice(0, 8);
  return `${raw.slice(0, 54).replace(/-$/, '')}-${hash}`;
}

export class Bucket extends InfraResource<BucketProps> {
  readonly kind = BUCKET_KIND;

  constructor(scope: Construct, id: string, props: BucketPropsInput = {}) {
    super(scope, id, {} as BucketProps);
    const stack = this.stack;
    const parsed = validateProps(BucketPropsSchema, props, this.resourceId);
    const project = parsed.project ?? stack.props.project;
    const resolved: BucketProps = {
      ...parsed,
      name: parsed.name ?? defaultBucketName(project, stack.stackName, this.resourceId),
      project,
      location: (parsed.location ?? stack.props.region ?? 'US').toUpperCase(),
      labels: { ...stackLabels(stack), ...parsed.labels },
    };
    (this as { props: BucketProps }).props = resolved;
  }

  /** The bucket's cloud name. */
  get bucketName(): string {
    return this.props.name;
  }

  /** `gs://NAME`. */
  get uri(): string {
    return `gs://${this.props.name}`;
  }
}

function stackLabels(stack: Stack): Record<string, string> {
  return { ...(stack.props.labels ?? {}) };
}
