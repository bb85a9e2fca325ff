/**
 * Copies the objects under one URI to another, through this machine (any
 * store to any store). Objects whose size and CRC32C already match are
 * skipped; each copy is checked against the source's CRC32C when it has one.
 */

import { StratoError } from '../../errors.ts';
import { openObjectStore, type StoreOptions } from '../open.ts';
import { listAll, type ObjectInfo } from '../types.ts';
import { runPool } from './pool.ts';
import type { SyncSummary } from './upload-dataset.ts';

export async function copyTree(
  src: string,
  dst: string,
  options: StoreOptions & { concurrency?: number } = {},
): Promise<SyncSummary> {
  const started = performance.now();
  const from = await openObjectStore(src, options);
  const to = await openObjectStore(dst, options);
  try {
    const fromPrefix = asPrefix(from.key);
    const toPrefix = asPrefix(to.key);
    const sources: ObjectInfo[] = [];
    for await (const object of listAll(from.store, fromPrefix ? { prefix: fromPrefix } : {})) {
      if (!object.key.endsWith('/')) sources.push(object);
    }
    if (sources.length === 0) {
      const single = from.key === '' ? undefined : await from.store.stat(from.key);
      if (!single)
        throw new StratoError('E_NOT_FOUND', `nothing to copy at ${src}`, { hint: 'check the source URI' });
      sources.push({ ...single, key: single.key });
    }
    let uploaded = 0;
    let uploadedBytes = 0;
    let skipped = 0;
    const failures = await runPool(sources, options.concurrency ?? 16, async (object) => {
      const rel =
        object.key === from.key
          ? object.key.slice(object.key.lastIndexOf('/') + 1)
          : object.key.slice(fromPrefix.length);
      const key = object.key === from.key && !to.key.endsWith('/') && to.key !== '' ? to.key : toPrefix + rel;
      const existing = await to.store.stat(key);
      if (existing && existing.size === object.size && object.crc32c && existing.crc32c === object.crc32c) {
        skipped++;
        return;
      }
      await to.store.write(key, await from.store.readStream(object.key), {
        ...(object.metadata ? { metadata: object.metadata } : {}),
        ...(object.crc32c ? { crc32c: object.crc32c } : {}),
      });
      uploaded++;
      uploadedBytes += object.size;
    });
    if (failures.length > 0) {
      const first = failures[0]!;
      throw new StratoError(
        'E_TRANSIENT',
        `copy ${src} → ${dst}: ${failures.length} object(s) failed; first (${first.item.key}): ${(first.error as Error).message}`,
        {
          cause: first.error,
          retryable: true,
          hint: 'run again: copied objects are skipped',
        },
      );
    }
    return {
      files: sources.length,
      bytes: sources.reduce((sum, o) => sum + o.size, 0),
      uploaded,
      uploadedBytes,
      skipped,
      deleted: 0,
      seconds: Math.round(performance.now() - started) / 1000,
      dryRun: false,
    };
  } finally {
    await from.store.close?.();
    await to.store.close?.();
  }
}

function asPrefix(key: string): string {
  return key === '' || key.endsWith('/') ? key : `${key}/`;
}
