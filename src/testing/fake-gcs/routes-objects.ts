/**
 * Objects: list, get (metadata or `alt=media`), patch, update, delete,
 * compose, copy and rewrite (https://cloud.google.com/storage/docs/json_api/v1/objects).
 */

import { createHash } from 'node:crypto';
import type { FakeGcsContext } from './context.ts';
import { badRequest, GcsHttpError } from './errors.ts';
import {
  type Exchange,
  flag,
  preconditionsOf,
  readJson,
  sendEmpty,
  sendJson,
  sendJsonText,
  sendStream,
} from './exchange.ts';
import { applySelection, parseFields, type Selection } from './fields.ts';
import { concatenate, storeObject } from './objects.ts';
import { parseRange } from './range.ts';
import { applyWritableFields, etagOf, objectResource, type WritableObjectFields } from './resources.ts';
import { checkPreconditions, type StoredObject } from './state.ts';
import { gunzipped, servesDecompressed } from './transcoding.ts';
import { findGeneration } from './versions.ts';

/** Most sources one compose request takes (https://cloud.google.com/storage/docs/composite-objects). */
const MAX_COMPOSE_SOURCES = 32;

/** Handles `/b/BUCKET/o...`; `rest` starts at `b`. */
export async function routeObjects(ex: Exchange, ctx: FakeGcsContext, rest: string[]): Promise<boolean> {
  if (rest.length < 3 || rest[0] !== 'b' || rest[2] !== 'o') return false;
  const bucket = rest[1]!;
  const tail = rest.slice(3);
  if (tail.length === 0) {
    if (ex.method !== 'GET')
      throw new GcsHttpError(405, 'methodNotAllowed', `${ex.method} on an object list`);
    listObjects(ex, ctx, bucket);
    return true;
  }
  if (tail.length === 2 && tail[1] === 'compose' && ex.method === 'POST') {
    await compose(ex, ctx, bucket, tail[0]!);
    return true;
  }
  if (
    tail.length === 6 &&
    (tail[1] === 'copyTo' || tail[1] === 'rewriteTo') &&
    tail[2] === 'b' &&
    tail[4] === 'o'
  ) {
    await copy(ex, ctx, { bucket, name: tail[0]! }, { bucket: tail[3]!, name: tail[5]! }, tail[1]);
    return true;
  }
  const name = tail.join('/');
  switch (ex.method) {
    case 'GET': {
      const generation = ex.query.get('generation');
      // A generation may be noncurrent (versioned buckets): look it up among all of the name's.
      const object = generation
        ? findGeneration(ctx.state.getBucket(bucket), name, generation)
        : ctx.state.getObject(bucket, name);
      checkPreconditions(object, preconditionsOf(ex.query));
      if (ex.query.get('alt') === 'media') await sendMedia(ex, ctx, object);
      else sendJson(ex, 200, objectResource(object, ex.baseUrl));
      return true;
    }
    case 'PATCH':
    case 'PUT': {
      const object = ctx.state.getObject(bucket, name);
      checkPreconditions(object, preconditionsOf(ex.query));
      const body = await readJson<WritableObjectFields>(ex);
      const next = applyWritableFields(object, body, ex.method === 'PATCH' ? 'patch' : 'replace');
      next.metageneration = object.metageneration + 1;
      next.updated = new Date().toISOString();
      sendJson(ex, 200, objectResource(ctx.state.updateObject(next), ex.baseUrl));
      return true;
    }
    case 'DELETE':
      await ctx.state.deleteObject(
        bucket,
        name,
        preconditionsOf(ex.query),
        ex.query.get('generation') ?? undefined,
      );
      sendEmpty(ex, 204);
      return true;
    default:
      throw new GcsHttpError(405, 'methodNotAllowed', `${ex.method} is not allowed on an object`);
  }
}

function listObjects(ex: Exchange, ctx: FakeGcsContext, bucket: string): void {
  const q = ex.query;
  const maxResults = q.get('maxResults');
  const page = ctx.state.list(bucket, {
    ...(q.get('prefix') ? { prefix: q.get('prefix')! } : {}),
    ...(q.get('delimiter') ? { delimiter: q.get('delimiter')! } : {}),
    ...(q.get('pageToken') ? { pageToken: q.get('pageToken')! } : {}),
    ...(maxResults ? { maxResults: Number(maxResults) } : {}),
    ...(q.get('startOffset') ? { startOffset: q.get('startOffset')! } : {}),
    ...(q.get('endOffset') ? { endOffset: q.get('endOffset')! } : {}),
    ...(q.get('matchGlob') ? { matchGlob: q.get('matchGlob')! } : {}),
    includeTrailingDelimiter: flag(q, 'includeTrailingDelimiter'),
    versions: flag(q, 'versions'),
  });
  // Assembled as text from each object's cached JSON: listing 10,000 objects is
  // what a no-change sync asks for, and the fake must not be its bottleneck.
  const spec = q.get('fields');
  const selection = spec ? parseFields(spec) : undefined;
  const want = (name: string) => !selection || selection.has(name);
  const itemSelection = selection ? selection.get('items') : true;
  const parts: string[] = [];
  if (want('kind')) parts.push('"kind":"storage#objects"');
  if (page.nextPageToken && want('nextPageToken'))
    parts.push(`"nextPageToken":${JSON.stringify(page.nextPageToken)}`);
  if (page.prefixes.length > 0 && want('prefixes')) parts.push(`"prefixes":${JSON.stringify(page.prefixes)}`);
  if (page.items.length > 0 && itemSelection) {
    const cacheKey = `${ex.baseUrl}|${spec ?? ''}`;
    const items = page.items.map((o) => itemJson(ctx, o, ex.baseUrl, cacheKey, itemSelection));
    parts.push(`"items":[${items.join(',')}]`);
  }
  sendJsonText(ex, 200, `{${parts.join(',')}}`);
}

function itemJson(
  ctx: FakeGcsContext,
  object: StoredObject,
  baseUrl: string,
  key: string,
  selection: Selection | true,
): string {
  const cached = ctx.listingJson.get(object);
  if (cached?.key === key) return cached.json;
  const resource = objectResource(object, baseUrl);
  const json = JSON.stringify(selection === true ? resource : applySelection(resource, selection));
  ctx.listingJson.set(object, { key, json });
  return json;
}

/** Media download, whole or ranged, with the headers clients verify (`x-goog-hash`, stored encoding). */
async function sendMedia(ex: Exchange, ctx: FakeGcsContext, object: StoredObject): Promise<void> {
  const hash = `crc32c=${object.crc32c}${object.md5Hash ? `,md5=${object.md5Hash}` : ''}`;
  const headers: Record<string, string | number> = {
    'content-type': object.contentType,
    'x-goog-hash': hash,
    'x-goog-generation': object.generation,
    'x-goog-metageneration': String(object.metageneration),
    'x-goog-stored-content-encoding': object.contentEncoding ?? 'identity',
    'x-goog-stored-content-length': String(object.size),
    etag: etagOf(object),
    'last-modified': new Date(object.updated).toUTCString(),
    'accept-ranges': 'bytes',
    ...(object.contentEncoding ? { 'content-encoding': object.contentEncoding } : {}),
  };
  if (servesDecompressed(ex.req, object)) {
    const { 'content-encoding': _stored, ...plain } = headers;
    await sendStream(
      ex,
      200,
      { ...plain, warning: '214 UploadServer gunzipped' },
      gunzipped(ctx.state.blobs.open(object.blob, 0, object.size)),
    );
    return;
  }
  const range = parseRange(ex.req.headers.range, object.size);
  if (range === 'unsatisfiable') {
    sendJson(
      ex,
      416,
      new GcsHttpError(416, 'requestedRangeNotSatisfiable', 'Request range not satisfiable').body(),
      {
        'content-range': `bytes */${object.size}`,
      },
    );
    return;
  }
  const { start, end } = range ?? { start: 0, end: object.size };
  headers['content-length'] = end - start;
  if (range) headers['content-range'] = `bytes ${start}-${end - 1}/${object.size}`;
  await sendStream(ex, range ? 206 : 200, headers, ctx.state.blobs.open(object.blob, start, end));
}

interface ComposeBody {
  sourceObjects?: {
    name: string;
    generation?: string;
    objectPreconditions?: { ifGenerationMatch?: string };
  }[];
  destination?: WritableObjectFields;
}

async function compose(ex: Exchange, ctx: FakeGcsContext, bucket: string, name: string): Promise<void> {
  const body = await readJson<ComposeBody>(ex);
  const sources = body.sourceObjects ?? [];
  if (sources.length === 0) throw badRequest('compose needs at least one source object');
  if (sources.length > MAX_COMPOSE_SOURCES) {
    throw badRequest(`compose takes at most ${MAX_COMPOSE_SOURCES} source objects, got ${sources.length}`);
  }
  const objects = sources.map((source) => {
    const object = ctx.state.getObject(bucket, source.name);
    const wanted = source.objectPreconditions?.ifGenerationMatch ?? source.generation;
    if (wanted !== undefined && wanted !== object.generation) {
      throw new GcsHttpError(412, 'conditionNotMet', `source ${source.name} is not at generation ${wanted}`);
    }
    return object;
  });
  const { blob, crc32c } = await concatenate(ctx, objects);
  const object = await storeObject(ctx, {
    bucket,
    name,
    blob,
    crc32c,
    fields: body.destination ?? { contentType: objects[0]!.contentType },
    conditions: preconditionsOf(ex.query),
    componentCount: objects.reduce((sum, o) => sum + (o.componentCount ?? 1), 0),
  });
  sendJson(ex, 200, objectResource(object, ex.baseUrl));
}

async function copy(
  ex: Exchange,
  ctx: FakeGcsContext,
  from: { bucket: string; name: string },
  to: { bucket: string; name: string },
  verb: 'copyTo' | 'rewriteTo',
): Promise<void> {
  const source = ctx.state.getObject(from.bucket, from.name);
  const overrides = await readJson<WritableObjectFields>(ex);
  ctx.state.getBucket(to.bucket);
  const { blob, crc32c } = await concatenate(ctx, [source]);
  const md5Hash =
    source.md5Hash ??
    createHash('md5')
      .update(await ctx.state.blobs.readAll(blob))
      .digest('base64');
  const fields: WritableObjectFields = {
    contentType: source.contentType,
    ...(source.metadata ? { metadata: source.metadata } : {}),
    ...overrides,
  };
  const conditions = {
    ifGenerationMatch: ex.query.get('ifGenerationMatch') ?? undefined,
    ifGenerationNotMatch: ex.query.get('ifGenerationNotMatch') ?? undefined,
  };
  const object = await storeObject(ctx, {
    bucket: to.bucket,
    name: to.name,
    blob,
    crc32c,
    md5Hash,
    fields,
    conditions,
  });
  const resource = objectResource(object, ex.baseUrl);
  if (verb === 'copyTo') {
    sendJson(ex, 200, resource);
    return;
  }
  sendJson(ex, 200, {
    kind: 'storage#rewriteResponse',
    totalBytesRewritten: String(object.size),
    objectSize: String(object.size),
    done: true,
    resource,
  });
}
