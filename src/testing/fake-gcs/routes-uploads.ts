/**
 * `/upload/storage/v1/b/BUCKET/o`: single-request (`multipart`, `media`)
 * and resumable uploads, chunked or streamed, with status queries, the
 * `X-GUploader-No-308` form and cancellation
 * (https://cloud.google.com/storage/docs/performing-resumable-uploads).
 */

import { crc32cBase64, crc32cUpdate, parseGoogHash } from '../../storage/checksum.ts';
import type { FakeGcsContext } from './context.ts';
import { badRequest, GcsHttpError, notFound } from './errors.ts';
import {
  type Exchange,
  forEachBodyPiece,
  preconditionsOf,
  readBody,
  readJson,
  sendEmpty,
  sendJson,
} from './exchange.ts';
import { boundaryOf, parseMultipart } from './multipart.ts';
import { checkObjectName } from './naming.ts';
import { hashesOf, storeObject, verifyDeclaredHashes } from './objects.ts';
import { type ContentRange, parseContentRange } from './range.ts';
import { objectResource, type WritableObjectFields } from './resources.ts';
import type { UploadSession } from './sessions.ts';
import { checkPreconditions } from './state.ts';

/** Handles `/upload/storage/v1/...`; `rest` starts after `v1`. */
export async function routeUploads(ex: Exchange, ctx: FakeGcsContext, rest: string[]): Promise<boolean> {
  if (rest.length !== 3 || rest[0] !== 'b' || rest[2] !== 'o') return false;
  const bucket = rest[1]!;
  const uploadId = ex.query.get('upload_id');
  if (uploadId) {
    const session = ctx.sessions.find(uploadId);
    if (!session || session.bucket !== bucket) throw notFound(`No upload session ${uploadId}`);
    await continueSession(ex, ctx, session);
    return true;
  }
  if (ex.method !== 'POST')
    throw new GcsHttpError(405, 'methodNotAllowed', `${ex.method} on the upload endpoint`);
  ctx.state.getBucket(bucket);
  switch (ex.query.get('uploadType')) {
    case 'multipart':
      await multipartUpload(ex, ctx, bucket);
      return true;
    case 'media':
      await mediaUpload(ex, ctx, bucket);
      return true;
    case 'resumable':
      await startSession(ex, ctx, bucket);
      return true;
    default:
      throw badRequest(`unknown uploadType "${ex.query.get('uploadType') ?? ''}"`);
  }
}

function requireName(ex: Exchange, fields: WritableObjectFields): string {
  const name = ex.query.get('name') ?? fields.name;
  if (!name) throw badRequest('Required parameter: name');
  checkObjectName(name);
  return name;
}

function header(ex: Exchange, name: string): string | undefined {
  const value = ex.req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

async function multipartUpload(ex: Exchange, ctx: FakeGcsContext, bucket: string): Promise<void> {
  const body = await readBody(ex);
  const parts = parseMultipart(body, boundaryOf(header(ex, 'content-type')));
  if (parts.length < 2) throw badRequest(`multipart upload needs 2 parts, got ${parts.length}`);
  let fields: WritableObjectFields;
  try {
    fields = JSON.parse(parts[0]!.body.toString('utf8') || '{}') as WritableObjectFields;
  } catch {
    throw badRequest('the metadata part of a multipart upload is not valid JSON');
  }
  const media = parts[1]!.body;
  await storeUploaded(ex, ctx, bucket, fields, media, parts[1]!.headers['content-type']);
}

async function mediaUpload(ex: Exchange, ctx: FakeGcsContext, bucket: string): Promise<void> {
  const media = await readBody(ex);
  await storeUploaded(ex, ctx, bucket, {}, media, header(ex, 'content-type'));
}

async function storeUploaded(
  ex: Exchange,
  ctx: FakeGcsContext,
  bucket: string,
  fields: WritableObjectFields,
  media: Buffer,
  mediaType: string | undefined,
): Promise<void> {
  const name = requireName(ex, fields);
  ctx.counters.uploadedBytes += media.length;
  const hashes = hashesOf(media);
  verifyDeclaredHashes(hashes, { crc32c: fields.crc32c, md5: fields.md5Hash });
  verifyDeclaredHashes(hashes, parseGoogHash(ex.req.headers['x-goog-hash']));
  const object = await storeObject(ctx, {
    bucket,
    name,
    blob: await ctx.state.blobs.fromBuffer(media),
    ...hashes,
    fields: { ...fields, contentType: fields.contentType ?? mediaType ?? 'application/octet-stream' },
    conditions: preconditionsOf(ex.query),
  });
  sendJson(ex, 200, objectResource(object, ex.baseUrl));
}

async function startSession(ex: Exchange, ctx: FakeGcsContext, bucket: string): Promise<void> {
  const fields = await readJson<WritableObjectFields>(ex);
  const name = requireName(ex, fields);
  const conditions = preconditionsOf(ex.query);
  // Fail fast on a precondition that already fails; it is checked again when the upload completes.
  checkPreconditions(ctx.state.findObject(bucket, name), conditions);
  const declared = header(ex, 'x-upload-content-length');
  const contentType = header(ex, 'x-upload-content-type');
  const session = ctx.sessions.create({
    bucket,
    name,
    fields: { ...fields, ...(contentType && !fields.contentType ? { contentType } : {}) },
    conditions,
    declaredSize: declared === undefined ? undefined : Number(declared),
  });
  const location = `${ex.baseUrl}/upload/storage/v1/b/${bucket}/o?uploadType=resumable&name=${encodeURIComponent(name)}&upload_id=${session.id}`;
  sendEmpty(ex, 200, { location, 'x-guploader-uploadid': session.id });
}

async function continueSession(ex: Exchange, ctx: FakeGcsContext, session: UploadSession): Promise<void> {
  if (ex.method === 'DELETE') {
    session.cancelled = true;
    await session.writer?.abort();
    session.writer = undefined;
    session.md5.drop();
    // What GCS answers to a cancelled session (storage-testbench agrees).
    sendEmpty(ex, 499, {}, 'Client Closed Request');
    return;
  }
  if (ex.method !== 'PUT' && ex.method !== 'POST') {
    throw new GcsHttpError(405, 'methodNotAllowed', `${ex.method} on an upload session`);
  }
  // No Content-Range: the whole object in one request.
  const range: ContentRange = parseContentRange(header(ex, 'content-range')) ?? {
    kind: 'chunk',
    start: 0,
    last: undefined,
    total: undefined,
  };
  await ctx.sessions.exclusive(session, async () => {
    if (session.result) {
      sendJson(ex, 200, objectResource(session.result, ex.baseUrl));
      return;
    }
    if (session.failure) throw session.failure;
    if (session.cancelled) throw new GcsHttpError(410, 'gone', 'The upload session was cancelled.');
    if (range.kind === 'status') {
      if (range.total !== undefined && range.total === session.committed) await finalize(ex, ctx, session);
      else sendIncomplete(ex, session);
      return;
    }
    if (range.start > session.committed) {
      // A gap: the client must resend from what the session has (it learns that from the Range header).
      sendIncomplete(ex, session);
      return;
    }
    const expected = range.last === undefined ? undefined : range.last - range.start + 1;
    const declared = header(ex, 'content-length');
    if (expected !== undefined && declared !== undefined && Number(declared) !== expected) {
      throw badRequest(
        `Content-Length ${declared} does not match Content-Range ${header(ex, 'content-range')}`,
      );
    }
    const complete = await receiveChunk(ex, ctx, session, session.committed - range.start);
    if (!complete) return; // the client went away; what arrived stays committed
    if (range.total !== undefined) {
      if (session.committed > range.total) throw badRequest('more bytes than the declared total');
      if (session.committed === range.total) await finalize(ex, ctx, session);
      else sendIncomplete(ex, session);
    } else if (range.last === undefined) {
      await finalize(ex, ctx, session);
    } else {
      sendIncomplete(ex, session);
    }
  });
}

/** Appends the request body to the session, skipping `skip` bytes it already has; false if cut short. */
async function receiveChunk(
  ex: Exchange,
  ctx: FakeGcsContext,
  session: UploadSession,
  skip: number,
): Promise<boolean> {
  session.writer ??= await ctx.state.blobs.createWriter();
  const writer = session.writer;
  let toSkip = skip;
  // After the writer has the bytes: count them, and hand them to the hashing (a writer that
  // copied them lets it take their memory; nothing here touches `data` after).
  const taken = (data: Buffer) => {
    session.crc = crc32cUpdate(session.crc, data);
    session.committed += data.length;
    return session.md5.update(data, !writer.keepsBuffers);
  };
  try {
    return await forEachBodyPiece(ex.req, (piece) => {
      ctx.counters.uploadedBytes += piece.length;
      if (session.writer !== writer) throw new Error('the session was cancelled');
      let data = piece;
      if (toSkip > 0) {
        if (data.length <= toSkip) {
          toSkip -= data.length;
          return undefined;
        }
        data = data.subarray(toSkip);
        toSkip = 0;
      }
      const appending = writer.append(data);
      return appending ? appending.then(() => taken(data)) : taken(data);
    });
  } finally {
    // Nothing waits for the next request: what arrived is hashed now.
    session.md5.flush();
  }
}

function sendIncomplete(ex: Exchange, session: UploadSession): void {
  const headers: Record<string, string> =
    session.committed > 0 ? { range: `bytes=0-${session.committed - 1}` } : {};
  if (header(ex, 'x-guploader-no-308') === 'yes') {
    // Go's HTTP stack treats 308 as a redirect, so its clients ask for a 200 carrying the real status.
    sendEmpty(ex, 200, { ...headers, 'x-http-status-code-override': '308' });
  } else {
    sendEmpty(ex, 308, headers, 'Resume Incomplete');
  }
}

async function finalize(ex: Exchange, ctx: FakeGcsContext, session: UploadSession): Promise<void> {
  try {
    if (session.declaredSize !== undefined && session.declaredSize !== session.committed) {
      throw badRequest(
        `upload has ${session.committed} bytes, X-Upload-Content-Length said ${session.declaredSize}`,
      );
    }
    const hashes = { crc32c: crc32cBase64(session.crc), md5Hash: await session.md5.digest() };
    verifyDeclaredHashes(hashes, { crc32c: session.fields.crc32c, md5: session.fields.md5Hash });
    verifyDeclaredHashes(hashes, parseGoogHash(ex.req.headers['x-goog-hash']));
    const writer = session.writer;
    session.writer = undefined;
    const blob = writer ? await writer.commit() : await ctx.state.blobs.fromBuffer(Buffer.alloc(0));
    session.result = await storeObject(ctx, {
      bucket: session.bucket,
      name: session.name,
      blob,
      ...hashes,
      fields: session.fields,
      conditions: session.conditions,
    });
  } catch (error) {
    await session.writer?.abort();
    session.writer = undefined;
    session.md5.drop();
    if (error instanceof GcsHttpError) session.failure = error;
    throw error;
  }
  sendJson(ex, 200, objectResource(session.result, ex.baseUrl));
}
