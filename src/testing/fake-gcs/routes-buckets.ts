/** Buckets: list, insert, get, patch, delete, storage layout (https://cloud.google.com/storage/docs/json_api/v1/buckets). */

import { applySettings, DEFAULT_SETTINGS, type SettingsBody } from './bucket-settings.ts';
import type { FakeGcsContext } from './context.ts';
import { GcsHttpError } from './errors.ts';
import { type Exchange, readJson, sendEmpty, sendJson } from './exchange.ts';
import { checkBucketName, requireProject } from './naming.ts';
import { bucketResource } from './resources.ts';

interface BucketBody extends SettingsBody {
  name?: string;
  location?: string;
  storageClass?: string;
  labels?: Record<string, string>;
  versioning?: { enabled?: boolean };
}

/** Handles `/b` and `/b/BUCKET`; returns false when the path is not a bucket route. */
export async function routeBuckets(ex: Exchange, ctx: FakeGcsContext, rest: string[]): Promise<boolean> {
  const { state } = ctx;
  if (rest.length === 1 && ex.method === 'GET') {
    requireProject(ex.query);
    const items = [...state.buckets.values()]
      .filter((b) => b.name.startsWith(ex.query.get('prefix') ?? ''))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((b) => bucketResource(b, ex.baseUrl));
    sendJson(ex, 200, { kind: 'storage#buckets', items });
    return true;
  }
  if (rest.length === 1 && ex.method === 'POST') {
    requireProject(ex.query);
    const body = await readJson<BucketBody>(ex);
    checkBucketName(body.name);
    const bucket = state.createBucket(body.name, {
      ...(body.location ? { location: body.location } : {}),
      ...(body.storageClass ? { storageClass: body.storageClass } : {}),
      ...(body.labels ? { labels: body.labels } : {}),
      settings: applySettings(DEFAULT_SETTINGS, body),
    });
    if (body.versioning) bucket.versioning = { enabled: body.versioning.enabled === true };
    sendJson(ex, 200, bucketResource(bucket, ex.baseUrl));
    return true;
  }
  if (rest.length === 3 && rest[2] === 'storageLayout' && ex.method === 'GET') {
    // gcloud asks before recursive copies whether the bucket has a hierarchical namespace.
    const bucket = state.getBucket(rest[1]!);
    sendJson(ex, 200, {
      kind: 'storage#storageLayout',
      bucket: bucket.name,
      location: bucket.location,
      locationType: bucket.locationType,
      hierarchicalNamespace: { enabled: false },
    });
    return true;
  }
  if (rest.length !== 2) return false;
  const name = rest[1]!;
  switch (ex.method) {
    case 'GET':
      sendJson(ex, 200, bucketResource(state.getBucket(name), ex.baseUrl));
      return true;
    case 'PATCH':
    case 'PUT': {
      const bucket = state.getBucket(name);
      const body = await readJson<BucketBody>(ex);
      if (body.labels) bucket.labels = { ...(ex.method === 'PATCH' ? bucket.labels : {}), ...body.labels };
      // A patch removes a label set to null, as the service does.
      for (const [key, value] of Object.entries(bucket.labels ?? {}))
        if (value === null) delete bucket.labels![key];
      bucket.settings = applySettings(bucket.settings ?? DEFAULT_SETTINGS, body);
      if (body.storageClass) bucket.storageClass = body.storageClass;
      // Kept as set (versions.ts acts on it); turning it off keeps the noncurrent generations there are.
      if (body.versioning) bucket.versioning = { enabled: body.versioning.enabled === true };
      bucket.metageneration++;
      bucket.updated = new Date().toISOString();
      state.bucketChanged(bucket);
      sendJson(ex, 200, bucketResource(bucket, ex.baseUrl));
      return true;
    }
    case 'DELETE':
      await state.deleteBucket(name);
      sendEmpty(ex, 204);
      return true;
    default:
      throw new GcsHttpError(405, 'methodNotAllowed', `${ex.method} is not allowed on a bucket`);
  }
}
