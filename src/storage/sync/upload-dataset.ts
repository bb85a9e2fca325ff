/**
 * `uploadDataset(src, dst)`: push a local folder (or file) to an object
 * store. Checks every input before writing anything; scans the source and
 * lists the destination at the same time; uploads only what changed, in
 * parallel over kept-alive connections; verifies each object's CRC32C;
 * optionally deletes what the source no longer has. Run again after an
 * interruption, it skips what is done and resumes large files mid-way.
 */

import { statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, isAbsolute, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { StratoError } from '../../errors.ts';
import { FailureBudgetExhausted } from '../../internal/failure-budget.ts';
import { stratoHome } from '../../internal/home.ts';
import { isUri, parseObjectUri } from '../../internal/uri.ts';
import { crc32cFromBase64 } from '../checksum.ts';
import { formatMtime, MTIME_METADATA_KEY } from '../mtime.ts';
import { openObjectStore, type StoreOptions } from '../open.ts';
import type { ObjectInfo, ObjectStore } from '../types.ts';
import { CrcCache } from './crc-cache.ts';
import { createPathFilter } from './filters.ts';
import { listTree } from './list-tree.ts';
import { type LocalFile, scanLocalTree } from './local-tree.ts';
import { type DeleteAction, planSync, type UploadAction } from './plan.ts';
import { type PoolFailure, runPool } from './pool.ts';
import { sessionJournal } from './session-journal.ts';
import { uploadViaWrite } from './write-upload.ts';

/** How `uploadDataset` compares, uploads and reports. */
export interface UploadDatasetOptions extends StoreOptions {
  /** Uploads in flight at once; default 32. */
  concurrency?: number;
  /** Delete objects under the destination that the source does not have (excluded ones are kept). */
  delete?: boolean;
  /** Plan and report, write nothing. */
  dryRun?: boolean;
  /** Globs of files to take (relative to the source; see filters.ts); default all. */
  include?: string[];
  /** Globs of files to leave out. */
  exclude?: string[];
  /** With `delete`, allow a source with no files: every object under the destination is deleted. */
  allowEmptySource?: boolean;
  /** Where the CRC cache and upload sessions live; default `$STRATO_HOME/cache`; false for none. */
  cacheDir?: string | false;
  env?: NodeJS.ProcessEnv;
  onProgress?: (progress: SyncProgress) => void;
  /** Told what the push will do, once compared and before anything is written (what `-n` lists). */
  onPlan?: (plan: { uploads: readonly UploadAction[]; deletes: readonly DeleteAction[] }) => void;
  signal?: AbortSignal;
}

export interface SyncProgress {
  phase: 'scanning' | 'uploading' | 'deleting' | 'done';
  /** Source files (after filters) and their bytes. */
  files: number;
  bytes: number;
  /** What the push sends: changed files and their bytes. */
  filesToUpload: number;
  bytesToUpload: number;
  uploaded: number;
  /** Bytes confirmed stored so far, large files counted as their chunks land. */
  uploadedBytes: number;
  skipped: number;
  toDelete: number;
  deleted: number;
}

/** What an upload did: files uploaded, skipped as unchanged, deleted, bytes. */
export interface SyncSummary {
  files: number;
  bytes: number;
  uploaded: number;
  uploadedBytes: number;
  skipped: number;
  deleted: number;
  seconds: number;
  dryRun: boolean;
}

/** Enough uploads in flight to hide per-request latency, few enough for one machine's sockets. */
export const DEFAULT_CONCURRENCY = 32;

/**
 * Files above this go up in chunks, streamed from the file (an upload holds
 * a few small pieces, not its chunks); they get their own, smaller pool so a
 * few large files never hold every connection while small files keep the
 * others busy.
 */
const LARGE_FILE_BYTES = 8 * 1024 * 1024;
const MAX_LARGE_UPLOADS = 8;

interface Target {
  store: ObjectStore;
  /** Prefix every key starts with (`dir/`, or empty), or for a single file the key's folder. */
  prefix: string;
  /** For a single-file source: the object key. */
  singleKey?: string;
  uri: string;
}

/**
 * Uploads a local file or folder to an object store URI: only what changed
 * (size and mtime, then checksum), in parallel, resumable after an
 * interruption, each object verified by its checksum.
 */
export async function uploadDataset(
  src: string,
  dst: string,
  options: UploadDatasetOptions = {},
): Promise<SyncSummary> {
  const started = performance.now();
  const env = options.env ?? process.env;
  const sourcePath = localSourcePath(src, options.baseDir);
  const sourceStat = await stat(sourcePath).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') {
      throw new StratoError('E_NOT_FOUND', `source ${src} does not exist`, {
        hint: 'check the path',
        cause: error,
      });
    }
    throw new StratoError('E_IO', `cannot read source ${src}: ${error.message}`, { cause: error });
  });
  if (!sourceStat.isDirectory() && !sourceStat.isFile()) {
    throw new StratoError('E_USAGE', `source ${src} is neither a folder nor a file`);
  }
  const concurrency = Math.max(1, options.concurrency ?? DEFAULT_CONCURRENCY);
  const largeConcurrency = Math.max(1, Math.min(MAX_LARGE_UPLOADS, Math.ceil(concurrency / 4)));
  const opened = await openObjectStore(dst, {
    ...options,
    gcs: { env, maxSockets: concurrency + largeConcurrency, ...options.gcs },
    s3: { env, ...options.s3 },
  });
  try {
    const target = await resolveTarget(
      opened.store,
      opened.key,
      dst,
      sourceStat.isDirectory() ? undefined : basename(sourcePath),
    );
    const cacheDir =
      options.cacheDir === false ? undefined : (options.cacheDir ?? resolve(stratoHome(env), 'cache'));
    const filter = createPathFilter(options);
    const progress: SyncProgress = {
      phase: 'scanning',
      files: 0,
      bytes: 0,
      filesToUpload: 0,
      bytesToUpload: 0,
      uploaded: 0,
      uploadedBytes: 0,
      skipped: 0,
      toDelete: 0,
      deleted: 0,
    };
    const emit = () => options.onProgress?.({ ...progress });
    emit();
    const [files, remote, crcCache] = await Promise.all([
      target.singleKey === undefined
        ? scanLocalTree(sourcePath, filter)
        : singleFile(sourcePath, target.singleKey, target.prefix).then((file) => [file]),
      listTarget(target),
      CrcCache.open(cacheDir, sourcePath),
    ]);
    const plan = await planSync(files, remote, {
      prefix: target.prefix,
      crcCache,
      mirror: Boolean(options.delete) && target.singleKey === undefined,
      filter,
      statObject: (key) => target.store.stat(key),
    });
    // An empty source (a wrong path, a mount that is not there, filters that keep nothing) with
    // --delete would empty the whole prefix: refused unless asked for in so many words.
    if (files.length === 0 && plan.deletes.length > 0 && !options.allowEmptySource) {
      throw new StratoError(
        'E_USAGE',
        `the source ${src} has no files${options.include?.length || options.exclude?.length ? ' (after --include/--exclude)' : ''}: --delete would delete all ${plan.deletes.length} object(s) under ${dst}`,
        {
          hint: 'check the source path and filters; to really empty the destination, add --allow-empty-source',
        },
      );
    }
    progress.files = files.length;
    progress.bytes = files.reduce((sum, f) => sum + f.size, 0);
    progress.filesToUpload = plan.uploads.length;
    progress.bytesToUpload = plan.uploads.reduce((sum, u) => sum + u.file.size, 0);
    progress.skipped = plan.skipped.length;
    progress.toDelete = plan.deletes.length;
    progress.phase = 'uploading';
    emit();
    options.onPlan?.({ uploads: plan.uploads, deletes: plan.deletes });
    if (options.dryRun) {
      progress.phase = 'done';
      emit();
      return summaryOf(progress, started, true, plan.uploads.length, plan.deletes.length);
    }
    // A dead endpoint (the store's shared failure budget is spent) stops the push: no new file is started.
    const stop = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
    const stopWhenEndpointDead = (error: unknown) => {
      if (error instanceof FailureBudgetExhausted) stop.abort(error);
      throw error;
    };
    const upload = async (action: UploadAction) => {
      await uploadOne(target, action, { cacheDir, crcCache, progress, emit }).catch(stopWhenEndpointDead);
    };
    const uploadFailures = (
      await Promise.all([
        runPool(
          plan.uploads.filter((u) => u.file.size > LARGE_FILE_BYTES),
          largeConcurrency,
          upload,
          signal,
        ),
        runPool(
          plan.uploads.filter((u) => u.file.size <= LARGE_FILE_BYTES),
          concurrency,
          upload,
          signal,
        ),
      ])
    ).flat();
    progress.phase = 'deleting';
    emit();
    const deleteFailures = await runPool(
      plan.deletes,
      concurrency,
      async (action) => {
        await target.store
          .delete(action.key, action.generation ? { ifGenerationMatch: action.generation } : {})
          .catch(stopWhenEndpointDead);
        progress.deleted++;
        emit();
      },
      signal,
    );
    crcCache.retain(() => files.map((f) => f.rel));
    await crcCache.save().catch(() => {}); // only a cache
    progress.phase = 'done';
    emit();
    throwIfFailed(uploadFailures, deleteFailures, target.uri);
    if (options.signal?.aborted)
      throw new StratoError('E_IO', 'push interrupted', { hint: 'run it again to finish' });
    return summaryOf(progress, started, false, progress.uploaded, progress.deleted);
  } finally {
    await opened.store.close?.();
  }
}

function localSourcePath(src: string, baseDir = process.cwd()): string {
  if (src.startsWith('file://')) return (parseObjectUri(src, baseDir) as { path: string }).path;
  if (isUri(src)) {
    throw new StratoError('E_USAGE', `source ${src} is not a local path`, {
      hint: 'push a local folder or file (copies between buckets are done by `strato` job staging or gcloud)',
    });
  }
  return isAbsolute(src) ? resolve(src) : resolve(baseDir, src);
}

/**
 * Where the objects go. A folder goes under the destination as a prefix; a
 * file becomes the destination object (or goes under it when it ends in `/`).
 * Refuses, before any write, a bucket that does not exist and a folder
 * pushed onto a key that is an object.
 */
async function resolveTarget(
  store: ObjectStore,
  key: string,
  uri: string,
  fileName: string | undefined,
): Promise<Target> {
  if (store.findBucket && !(await store.findBucket())) {
    throw new StratoError('E_NOT_FOUND', `bucket ${store.scheme}://${store.bucket} does not exist`, {
      hint:
        store.scheme === 'gs'
          ? `create it in the job's region: gcloud storage buckets create gs://${store.bucket} --location=REGION`
          : `create it first: aws s3 mb s3://${store.bucket}`,
    });
  }
  if (fileName !== undefined) {
    const singleKey = key === '' || key.endsWith('/') ? `${key}${fileName}` : key;
    return { store, prefix: singleKey.slice(0, singleKey.lastIndexOf('/') + 1), singleKey, uri };
  }
  if (key !== '' && !key.endsWith('/') && (await store.stat(key))) {
    throw new StratoError('E_USAGE', `${uri} is an object, but pushing a folder needs a prefix there`, {
      hint: `pick a destination that is not an object, or delete ${uri} first`,
    });
  }
  return { store, prefix: key === '' || key.endsWith('/') ? key : `${key}/`, uri };
}

async function singleFile(path: string, key: string, prefix: string): Promise<LocalFile> {
  const s = await stat(path);
  return { rel: key.slice(prefix.length), path, size: s.size, mtimeMs: s.mtimeMs };
}

/** Objects under the destination by their key relative to it (folder placeholders `x/` left out). */
async function listTarget(target: Target): Promise<Map<string, ObjectInfo>> {
  const remote = new Map<string, ObjectInfo>();
  if (target.singleKey !== undefined) {
    const object = await target.store.stat(target.singleKey);
    if (object) remote.set(target.singleKey.slice(target.prefix.length), object);
    return remote;
  }
  for (const object of await listTree(target.store, target.prefix)) {
    if (!object.key.endsWith('/')) remote.set(object.key.slice(target.prefix.length), object);
  }
  return remote;
}

async function uploadOne(
  target: Target,
  action: UploadAction,
  ctx: { cacheDir: string | undefined; crcCache: CrcCache; progress: SyncProgress; emit: () => void },
): Promise<void> {
  const { file, key } = action;
  // The exact mtime for the record (the scan's is to the microsecond), so other tools compare it exactly.
  const exact = statSync(file.path, { bigint: true, throwIfNoEntry: false });
  if (!exact || Number(exact.size) !== file.size) {
    throw new StratoError('E_IO', `${file.path} changed or vanished since the push started`, {
      hint: 'run again once nothing is writing to the source',
    });
  }
  const metadata = { [MTIME_METADATA_KEY]: formatMtime(exact.mtimeNs) };
  const onBytes = (bytes: number) => {
    ctx.progress.uploadedBytes += bytes;
    ctx.emit();
  };
  const { store } = target;
  const info = store.uploadFile
    ? await store.uploadFile(key, file.path, {
        size: file.size,
        metadata,
        ...(action.ifGenerationMatch !== undefined ? { ifGenerationMatch: action.ifGenerationMatch } : {}),
        ...(ctx.cacheDir
          ? { journal: sessionJournal(ctx.cacheDir, `${store.scheme}://${store.bucket}/${key}`, file) }
          : {}),
        onBytes,
      })
    : await uploadViaWrite(store, key, file, metadata, onBytes);
  if (info.size !== file.size) {
    throw new StratoError('E_CORRUPT', `${file.path}: stored ${info.size} bytes, the file has ${file.size}`, {
      hint: 'the file changed while it was being uploaded; run again',
    });
  }
  const crc = info.crc32c ? crc32cFromBase64(info.crc32c) : undefined;
  if (crc !== undefined) ctx.crcCache.set(file.rel, file.size, file.mtimeMs, crc);
  ctx.progress.uploaded++;
  ctx.emit();
}

function throwIfFailed(
  uploads: PoolFailure<UploadAction>[],
  deletes: PoolFailure<DeleteAction>[],
  uri: string,
): void {
  const failures = [...uploads, ...deletes];
  if (failures.length === 0) return;
  // When the endpoint is dead, that is the news, whichever file failed first.
  const first = failures.find((f) => f.error instanceof FailureBudgetExhausted) ?? failures[0]!;
  const cause = first.error instanceof StratoError ? first.error : undefined;
  const what = 'file' in first.item ? first.item.file.path : first.item.key;
  const parts = [
    uploads.length > 0 ? `${uploads.length} upload${uploads.length === 1 ? '' : 's'}` : '',
    deletes.length > 0 ? `${deletes.length} delete${deletes.length === 1 ? '' : 's'}` : '',
  ].filter(Boolean);
  throw new StratoError(
    cause?.code ?? 'E_IO',
    `push to ${uri}: ${parts.join(' and ')} failed; first (${what}): ${(first.error as Error).message}`,
    {
      cause: first.error,
      retryable: cause?.retryable ?? false,
      hint: cause?.hint ?? 'run the same push again: finished files are skipped and large files resume',
    },
  );
}

function summaryOf(
  p: SyncProgress,
  started: number,
  dryRun: boolean,
  uploaded: number,
  deleted: number,
): SyncSummary {
  return {
    files: p.files,
    bytes: p.bytes,
    uploaded,
    uploadedBytes: dryRun ? p.bytesToUpload : p.uploadedBytes,
    skipped: p.skipped,
    deleted,
    seconds: Math.round(performance.now() - started) / 1000,
    dryRun,
  };
}
