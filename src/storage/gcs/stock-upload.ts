/**
 * Uploads through `@google-cloud/storage` itself (`bucket.upload`): the
 * library's own transport and retry logic. The lean path (json-api.ts) is the
 * default because it is several times faster on many small files; this one
 * stays for comparison (bench/upload) and as a fallback.
 */

import type { Storage } from '@google-cloud/storage';
import { StratoError } from '../../errors.ts';
import type { UploadFileOptions } from '../types.ts';
import type { ObjectResource } from './json-api.ts';

export async function stockUploadFile(
  storage: Storage,
  bucket: string,
  key: string,
  path: string,
  options: UploadFileOptions & { resumable: boolean; chunkSize: number },
): Promise<ObjectResource> {
  try {
    const [file] = await storage.bucket(bucket).upload(path, {
      destination: key,
      resumable: options.resumable,
      ...(options.resumable ? { chunkSize: options.chunkSize } : {}),
      validation: 'crc32c',
      metadata: {
        ...(options.contentType ? { contentType: options.contentType } : {}),
        ...(options.metadata ? { metadata: options.metadata } : {}),
      },
      ...(options.ifGenerationMatch !== undefined
        ? { preconditionOpts: { ifGenerationMatch: Number(options.ifGenerationMatch) } }
        : {}),
    });
    options.onBytes?.(options.size);
    return file.metadata as unknown as ObjectResource;
  } catch (error) {
    const status = (error as { code?: number }).code;
    throw new StratoError(
      status === 412 ? 'E_CONFLICT' : 'E_TRANSIENT',
      `upload gs://${bucket}/${key}: ${(error as Error).message}`,
      { cause: error, retryable: status !== 412 },
    );
  }
}
