/** Creating object generations: shared by uploads, compose and copies. */

import { createHash } from 'node:crypto';
import { crc32cBase64, crc32cUpdate } from '../../storage/checksum.ts';
import type { Blob } from './blobs.ts';
import type { FakeGcsContext } from './context.ts';
import { badRequest } from './errors.ts';
import { checkObjectName } from './naming.ts';
import { applyWritableFields, type WritableObjectFields } from './resources.ts';
import type { Preconditions, StoredObject } from './state.ts';

export interface NewObject {
  bucket: string;
  name: string;
  blob: Blob;
  crc32c: string;
  md5Hash?: string;
  fields: WritableObjectFields;
  conditions?: Preconditions;
  componentCount?: number;
}

/** Stores a new generation; on a failed precondition the blob is released and the error thrown. */
export async function storeObject(ctx: FakeGcsContext, input: NewObject): Promise<StoredObject> {
  const now = new Date().toISOString();
  const base: StoredObject = {
    bucket: input.bucket,
    name: input.name,
    generation: ctx.state.nextGeneration(),
    metageneration: 1,
    size: input.blob.size,
    crc32c: input.crc32c,
    ...(input.md5Hash ? { md5Hash: input.md5Hash } : {}),
    contentType: 'application/octet-stream',
    timeCreated: now,
    updated: now,
    ...(input.componentCount ? { componentCount: input.componentCount } : {}),
    blob: input.blob,
  };
  const object = applyWritableFields(base, input.fields, 'replace');
  try {
    // Uploads are checked when they start; compose and copy name their destination only here.
    checkObjectName(input.name);
    await ctx.state.putObject(object, input.conditions);
  } catch (error) {
    await ctx.state.blobs.release(input.blob);
    throw error;
  }
  ctx.counters.objectsCreated++;
  return object;
}

/** Refuses content whose hashes differ from what the client declared (metadata or `X-Goog-Hash`). */
export function verifyDeclaredHashes(
  actual: { crc32c: string; md5Hash?: string },
  declared: { crc32c?: string; md5?: string },
): void {
  if (declared.crc32c && declared.crc32c !== actual.crc32c) {
    throw badRequest(
      `Provided CRC32C "${declared.crc32c}" doesn't match calculated CRC32C "${actual.crc32c}".`,
    );
  }
  if (declared.md5 && actual.md5Hash && declared.md5 !== actual.md5Hash) {
    throw badRequest(
      `Provided MD5 hash "${declared.md5}" doesn't match calculated MD5 hash "${actual.md5Hash}".`,
    );
  }
}

/** CRC32C and MD5 of a whole buffer, base64. */
export function hashesOf(data: Buffer): { crc32c: string; md5Hash: string } {
  return {
    crc32c: crc32cBase64(crc32cUpdate(0, data)),
    md5Hash: createHash('md5').update(data).digest('base64'),
  };
}

/** Copies the bytes of several objects, in order, into one new blob (compose, copy). */
export async function concatenate(
  ctx: FakeGcsContext,
  sources: StoredObject[],
): Promise<{ blob: Blob; crc32c: string }> {
  const writer = await ctx.state.blobs.createWriter();
  let crc = 0;
  try {
    for (const source of sources) {
      for await (const chunk of ctx.state.blobs.open(source.blob, 0, source.size) as AsyncIterable<Buffer>) {
        crc = crc32cUpdate(crc, chunk);
        await writer.append(chunk);
      }
    }
    return { blob: await writer.commit(), crc32c: crc32cBase64(crc) };
  } catch (error) {
    await writer.abort();
    throw error;
  }
}
