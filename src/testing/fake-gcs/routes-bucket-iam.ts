/**
 * A bucket's IAM policy: `GET` and `PUT /b/BUCKET/iam`
 * (https://cloud.google.com/storage/docs/json_api/v1/buckets/getIamPolicy).
 * As the service does: a new bucket has the legacy project roles; a `PUT`
 * with a stale `etag` is a 412; a member that is not a principal is a 400;
 * `allUsers` / `allAuthenticatedUsers` on a bucket with public access
 * prevention enforced is a 412.
 */

import { createHash } from 'node:crypto';
import type { FakeGcsContext } from './context.ts';
import { badRequest, GcsHttpError, preconditionFailed } from './errors.ts';
import { type Exchange, readJson, sendJson } from './exchange.ts';
import type { StoredBucket } from './state.ts';

export interface IamBinding {
  role: string;
  members: string[];
  condition?: Record<string, unknown>;
}

export interface IamPolicy {
  version: number;
  bindings: IamBinding[];
}

const MEMBER =
  /^(user|serviceAccount|group|domain|principal|principalSet|projectOwner|projectEditor|projectViewer):\S+$|^(allUsers|allAuthenticatedUsers)$/;
const PUBLIC = new Set(['allUsers', 'allAuthenticatedUsers']);

function defaultPolicy(): IamPolicy {
  return {
    version: 1,
    bindings: [
      {
        role: 'roles/storage.legacyBucketOwner',
        members: ['projectEditor:fake-project', 'projectOwner:fake-project'],
      },
      { role: 'roles/storage.legacyBucketReader', members: ['projectViewer:fake-project'] },
    ],
  };
}

/** The bucket's policy: kept on the bucket record, so --data-dir keeps it; a new bucket has the default. */
export function policyOf(bucket: StoredBucket): IamPolicy {
  return bucket.iamPolicy ?? defaultPolicy();
}

function etagOf(policy: IamPolicy): string {
  return createHash('sha256').update(JSON.stringify(policy)).digest('base64').slice(0, 12);
}

function policyResource(bucket: StoredBucket, policy: IamPolicy): Record<string, unknown> {
  return {
    kind: 'storage#policy',
    resourceId: `projects/_/buckets/${bucket.name}`,
    version: policy.version,
    etag: etagOf(policy),
    bindings: policy.bindings,
  };
}

/** Handles `/b/BUCKET/iam`; false for any other path. */
export async function routeBucketIam(ex: Exchange, ctx: FakeGcsContext, rest: string[]): Promise<boolean> {
  if (rest.length !== 3 || rest[0] !== 'b' || rest[2] !== 'iam') return false;
  const bucket = ctx.state.getBucket(rest[1]!);
  if (ex.method === 'GET') {
    sendJson(ex, 200, policyResource(bucket, policyOf(bucket)));
    return true;
  }
  if (ex.method !== 'PUT')
    throw new GcsHttpError(405, 'methodNotAllowed', `${ex.method} is not allowed on a policy`);
  const body = await readJson<{ etag?: string; bindings?: IamBinding[]; version?: number }>(ex);
  const current = policyOf(bucket);
  if (body.etag && body.etag !== etagOf(current)) {
    throw preconditionFailed('The policy was changed since it was read (etag mismatch).');
  }
  const bindings: IamBinding[] = [];
  for (const binding of body.bindings ?? []) {
    if (
      typeof binding.role !== 'string' ||
      !/^(roles|projects\/[^/]+\/roles|organizations\/[^/]+\/roles)\//.test(binding.role)
    ) {
      throw badRequest(`Invalid argument: role ${String(binding.role)}`);
    }
    for (const member of binding.members ?? []) {
      if (!MEMBER.test(member)) throw badRequest(`Invalid argument: member ${member}`);
      if (PUBLIC.has(member) && bucket.settings?.publicAccessPrevention === 'enforced') {
        throw preconditionFailed(
          `The member ${member} cannot be added: public access prevention is enforced on bucket ${bucket.name}.`,
        );
      }
    }
    if ((binding.members ?? []).length > 0)
      bindings.push({ ...binding, members: [...new Set(binding.members)].sort() });
  }
  const next: IamPolicy = { version: body.version ?? current.version, bindings };
  bucket.iamPolicy = next;
  ctx.state.bucketChanged(bucket);
  sendJson(ex, 200, policyResource(bucket, next));
  return true;
}
