/**
 * What a push has to do: compare each local file with the object under its
 * key. Same size and same recorded mtime: unchanged, no file read. Same size,
 * other or no mtime: compare CRC32Cs (local ones from the cache). Anything
 * else: upload, with the generation seen here as a precondition, so a
 * retried or racing write cannot clobber an object written in between.
 */

import { crc32cBase64 } from '../checksum.ts';
import { MTIME_METADATA_KEY, mtimeMsOf, sameMtimeMs } from '../mtime.ts';
import type { ObjectInfo } from '../types.ts';
import type { CrcCache } from './crc-cache.ts';
import type { PathFilter } from './filters.ts';
import type { LocalFile } from './local-tree.ts';
import { runPool } from './pool.ts';

export interface UploadAction {
  file: LocalFile;
  key: string;
  /** `'0'` for a new object, the listed generation for a replaced one (stores with generations). */
  ifGenerationMatch?: string;
}

export interface DeleteAction {
  key: string;
  generation?: string;
}

export interface SyncPlan {
  uploads: UploadAction[];
  skipped: LocalFile[];
  deletes: DeleteAction[];
}

export interface PlanContext {
  /** Key prefix of the destination, ending in `/` (or empty for a bucket root). */
  prefix: string;
  crcCache: CrcCache;
  /** Also remove objects under the prefix with no source file (`--delete`). */
  mirror: boolean;
  /** The include/exclude filter: excluded objects are never deleted. */
  filter: PathFilter;
  /** Files hashed at once when checksums decide. */
  hashConcurrency?: number;
  /**
   * Full metadata of one object, for stores whose listings leave it out
   * (S3 lists neither user metadata nor checksums).
   */
  statObject?: (key: string) => Promise<ObjectInfo | undefined>;
}

export async function planSync(
  files: readonly LocalFile[],
  remote: ReadonlyMap<string, ObjectInfo>,
  ctx: PlanContext,
): Promise<SyncPlan> {
  const uploads: UploadAction[] = [];
  const skipped: LocalFile[] = [];
  const doubtful: { file: LocalFile; object: ObjectInfo }[] = [];
  for (const file of files) {
    const object = remote.get(file.rel);
    const key = ctx.prefix + file.rel;
    if (!object) {
      uploads.push({ file, key, ifGenerationMatch: '0' });
    } else if (object.size !== file.size) {
      uploads.push({ file, key, ...(object.generation ? { ifGenerationMatch: object.generation } : {}) });
    } else {
      const recorded = mtimeMsOf(object.metadata?.[MTIME_METADATA_KEY]);
      if (recorded !== undefined && sameMtimeMs(recorded, file.mtimeMs)) skipped.push(file);
      else doubtful.push({ file, object });
    }
  }
  await runPool(doubtful, ctx.hashConcurrency ?? 8, async ({ file, object: listed }) => {
    let object = listed;
    if (!listed.metadata && !listed.crc32c && ctx.statObject) {
      object = (await ctx.statObject(ctx.prefix + file.rel).catch(() => undefined)) ?? listed;
      const recorded = mtimeMsOf(object.metadata?.[MTIME_METADATA_KEY]);
      if (object.size === file.size && recorded !== undefined && sameMtimeMs(recorded, file.mtimeMs)) {
        skipped.push(file);
        return;
      }
    }
    // A file that cannot be read here is planned for upload, which then reports the problem.
    const local = object.crc32c
      ? await ctx.crcCache.crcOf(file.rel, file.path, file.size, file.mtimeMs).catch(() => undefined)
      : undefined;
    const crc = local === undefined ? undefined : crc32cBase64(local);
    if (crc && crc === object.crc32c) skipped.push(file);
    else
      uploads.push({
        file,
        key: ctx.prefix + file.rel,
        ...(object.generation ? { ifGenerationMatch: object.generation } : {}),
      });
  });
  const deletes: DeleteAction[] = [];
  if (ctx.mirror) {
    const local = new Set(files.map((f) => f.rel));
    for (const [rel, object] of remote) {
      if (!local.has(rel) && ctx.filter(rel)) {
        deletes.push({
          key: ctx.prefix + rel,
          ...(object.generation ? { generation: object.generation } : {}),
        });
      }
    }
  }
  // Largest first: big files start early and the rest fill the gaps, so the push ends sooner.
  uploads.sort((a, b) => b.file.size - a.file.size);
  return { uploads, skipped, deletes };
}
