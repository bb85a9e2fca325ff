/**
 * Reading an attempt's control folder (`<run dir>/attempts/<n>/`, see
 * `agent/layout.ts`): which replicas wrote a log, which hosts booted, which
 * replicas ended. An `exit.json` is opened only the first time its
 * generation is seen (it is written once), so a look at a running job costs
 * one list call whatever its size — and a look at many jobs one list call
 * per bucket (`readControlFolders`: Cloud Storage's `matchGlob` picks the
 * folders' own objects out of one listing; up to `MAX_FOLDERS_PER_LISTING`
 * folders a listing).
 *
 * The provider adds one object of its own beside the VMs' ones:
 * `cancelled.json`, written by `cancel` before the machines go, so a later
 * look tells a cancelled attempt from a preempted one.
 */

import { type ExitRecord, ExitRecordSchema } from '../../agent/layout.ts';
import { StratoError } from '../../errors.ts';
import { parseObjectUri } from '../../internal/uri.ts';
import { openObjectStore } from '../../storage/open.ts';
import { listAll, type ObjectInfo, type ObjectStore } from '../../storage/types.ts';
import type { JobStatus } from '../types.ts';

/** The provider's own marker: the job was cancelled (`{ reason, at }`). */
export const CANCELLED_OBJECT = 'cancelled.json';
/** The provider's own record: the job's status when its machines were released at its end. */
export const FINAL_OBJECT = 'final.json';

export interface ControlSnapshot {
  /** `<replica>.log` objects, by replica. */
  logs: Map<string, ObjectInfo>;
  /** `<replica>.exit.json` records, by replica. */
  exits: Map<string, ExitRecord>;
  /** Hosts that wrote `<host>.boot.json`. */
  booted: Set<string>;
  cancelled?: { reason: string; at?: string };
  /** The status recorded when the job ended and its machines were deleted: it never changes again. */
  final?: JobStatus;
}

export interface ControlStoreOptions {
  /** Cloud Storage JSON API base (a fake's); default STORAGE_EMULATOR_HOST in `env`, else the service. */
  storageEndpoint?: string | undefined;
  /** S3 endpoint (moto's); default AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL in `env`, else the service. */
  s3Endpoint?: string | undefined;
  env?: NodeJS.ProcessEnv;
}

/** The object store and key prefix of a control folder: gs:// (gce, tpu-vm) or s3:// (ec2). */
export async function openControlFolder(
  uri: string,
  options: ControlStoreOptions,
): Promise<{ store: ObjectStore; prefix: string }> {
  controlFolderParts(uri);
  const { store, key } = await openObjectStore(uri, {
    gcs: {
      ...(options.storageEndpoint ? { apiEndpoint: options.storageEndpoint } : {}),
      ...(options.env ? { env: options.env } : {}),
    },
    // S3: the endpoint and keys of the caller's environment (AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL).
    s3: {
      ...(options.s3Endpoint ? { endpoint: options.s3Endpoint } : {}),
      ...(options.env ? { env: options.env } : {}),
    },
  });
  return { store, prefix: folderPrefix(key) };
}

/** The bucket and key prefix of a control folder's gs:// or s3:// URI (anything else is a provider bug). */
function controlFolderParts(uri: string): { scheme: string; bucket: string; prefix: string } {
  const parsed = parseObjectUri(uri);
  if (parsed.scheme !== 'gs' && parsed.scheme !== 's3') {
    throw new StratoError(
      'E_INTERNAL',
      `a machine job's control folder must be on gs:// or s3://, got ${uri}`,
    );
  }
  return { scheme: parsed.scheme, bucket: parsed.bucket, prefix: folderPrefix(parsed.key) };
}

const folderPrefix = (key: string) => (key.endsWith('/') ? key : `${key}/`);

/** A control folder to read: its gs:// or s3:// URI and how to reach its store. */
export interface ControlFolderRef {
  uri: string;
  storage: ControlStoreOptions;
}

/**
 * The control folders of many jobs, in order, with one listing per bucket and
 * storage endpoint (for up to `MAX_FOLDERS_PER_LISTING` folders): what one
 * status tick over many jobs costs in Cloud Storage. (A provider passes one
 * `env` for all its jobs, so the endpoint and bucket tell one store.)
 */
export async function readControlFolders(
  reader: ControlReader,
  folders: readonly ControlFolderRef[],
): Promise<ControlSnapshot[]> {
  const groups = new Map<string, { first: ControlFolderRef; indexes: number[]; prefixes: string[] }>();
  folders.forEach((folder, index) => {
    const { scheme, bucket, prefix } = controlFolderParts(folder.uri);
    const env = folder.storage.env;
    const endpoint =
      scheme === 's3'
        ? (folder.storage.s3Endpoint ?? env?.AWS_ENDPOINT_URL_S3 ?? env?.AWS_ENDPOINT_URL ?? '')
        : (folder.storage.storageEndpoint ?? env?.STORAGE_EMULATOR_HOST ?? '');
    // S3 has no listing glob: its store reads each folder by its own prefix listing (readMany).
    const key = `${scheme}|${endpoint}|${bucket}`;
    const group = groups.get(key) ?? { first: folder, indexes: [], prefixes: [] };
    group.indexes.push(index);
    group.prefixes.push(prefix);
    groups.set(key, group);
  });
  const snapshots: ControlSnapshot[] = new Array(folders.length);
  await Promise.all(
    [...groups.values()].map(async (group) => {
      const { store } = await openControlFolder(group.first.uri, group.first.storage);
      try {
        const read = await reader.readMany(store, group.prefixes);
        group.indexes.forEach((index, k) => {
          snapshots[index] = read[k]!;
        });
      } finally {
        await store.close?.();
      }
    }),
  );
  return snapshots;
}

/**
 * Control folders read together in one listing: at most this many (their
 * `{a/,b/}*` glob goes in the request URL) …
 */
export const MAX_FOLDERS_PER_LISTING = 50;
/** … and at most this long a glob, so the URL stays a few KB whatever the run dirs' lengths. */
const MAX_GLOB_CHARS = 8000;
/** Characters with a meaning in a glob: a folder whose name has one is listed by itself, by prefix. */
const GLOB_SPECIAL = /[*?[\]{}\\,]/;

/** Reads control folders, remembering the exit records it has read. */
export class ControlReader {
  readonly #exits = new Map<string, ExitRecord>();

  /** One control folder: one listing by its prefix. */
  async read(store: ObjectStore, prefix: string): Promise<ControlSnapshot> {
    const objects: ObjectInfo[] = [];
    for await (const object of listAll(store, { prefix, brief: true })) objects.push(object);
    return this.#snapshotOf(store, prefix, objects);
  }

  /**
   * Control folders in one bucket (`store`), in order: ONE listing for up to
   * `MAX_FOLDERS_PER_LISTING` of them — their longest common prefix, with a
   * `matchGlob` of `{<folder>,<folder>,…}*` that keeps only the folders'
   * direct children (not the run dirs' checkpoints and outputs around them).
   * More folders take more listings, in parallel. Stores without globs, and
   * folders whose names hold glob characters, are listed one by one.
   */
  async readMany(store: ObjectStore, prefixes: readonly string[]): Promise<ControlSnapshot[]> {
    const unique = [...new Set(prefixes)].sort();
    const alone = unique.filter((p) => !store.listsByGlob || GLOB_SPECIAL.test(p));
    const chunks = chunkFolders(unique.filter((p) => !alone.includes(p)));
    const byPrefix = new Map<string, ControlSnapshot>();
    await Promise.all([
      ...alone.map(async (prefix) => byPrefix.set(prefix, await this.read(store, prefix))),
      ...chunks.map(async (chunk) => {
        if (chunk.length === 1) {
          byPrefix.set(chunk[0]!, await this.read(store, chunk[0]!));
          return;
        }
        const objects = new Map<string, ObjectInfo[]>(chunk.map((p) => [p, []]));
        // Literal alternatives, then one wildcard: the plainest form of a brace glob.
        const listing = { prefix: commonPrefix(chunk), matchGlob: `{${chunk.join(',')}}*` };
        try {
          for await (const object of listAll(store, { ...listing, brief: true })) {
            // `*` stops at `/`: every object listed is a direct child of one folder.
            objects.get(object.key.slice(0, object.key.lastIndexOf('/') + 1))?.push(object);
          }
        } catch {
          // A service that refuses the glob still answers plain listings: one per folder, as before.
          await Promise.all(chunk.map(async (p) => byPrefix.set(p, await this.read(store, p))));
          return;
        }
        await Promise.all(
          chunk.map(async (p) => byPrefix.set(p, await this.#snapshotOf(store, p, objects.get(p)!))),
        );
      }),
    ]);
    return prefixes.map((p) => byPrefix.get(p)!);
  }

  /** What a folder's objects say; an exit record, the final status and the cancel marker are opened. */
  async #snapshotOf(
    store: ObjectStore,
    prefix: string,
    objects: readonly ObjectInfo[],
  ): Promise<ControlSnapshot> {
    const snapshot: ControlSnapshot = { logs: new Map(), exits: new Map(), booted: new Set() };
    const pending: Promise<void>[] = [];
    for (const object of objects) {
      const name = object.key.slice(prefix.length);
      if (name.includes('/')) continue;
      if (name.endsWith('.exit.json')) {
        const replica = name.slice(0, -'.exit.json'.length);
        const cacheKey = `${object.key}#${object.generation ?? object.size}`;
        const known = this.#exits.get(cacheKey);
        if (known) snapshot.exits.set(replica, known);
        else
          pending.push(
            readExit(store, object.key, replica).then((record) => {
              if (!record) return;
              this.#exits.set(cacheKey, record);
              snapshot.exits.set(replica, record);
            }),
          );
      } else if (name.endsWith('.boot.json')) {
        snapshot.booted.add(name.slice(0, -'.boot.json'.length));
      } else if (name.endsWith('.log')) {
        snapshot.logs.set(name.slice(0, -'.log'.length), object);
      } else if (name === FINAL_OBJECT) {
        pending.push(
          readJson<JobStatus>(store, object.key).then((final) => {
            if (final && typeof final.state === 'string') snapshot.final = final;
          }),
        );
      } else if (name === CANCELLED_OBJECT) {
        pending.push(
          store
            .read(object.key)
            .then((bytes) => {
              const marker = JSON.parse(bytes.toString('utf8')) as { reason?: string; at?: string };
              snapshot.cancelled = {
                reason: marker.reason ?? 'cancelled',
                ...(marker.at ? { at: marker.at } : {}),
              };
            })
            .catch(() => {
              snapshot.cancelled = { reason: 'cancelled' };
            }),
        );
      }
    }
    await Promise.all(pending);
    return snapshot;
  }
}

/** Sorted folders cut into runs that one listing each can cover (count and glob length bounded). */
function chunkFolders(sorted: readonly string[]): string[][] {
  const chunks: string[][] = [];
  let chars = 0;
  for (const prefix of sorted) {
    const last = chunks.at(-1);
    if (last && last.length < MAX_FOLDERS_PER_LISTING && chars + prefix.length + 2 <= MAX_GLOB_CHARS) {
      last.push(prefix);
      chars += prefix.length + 2;
    } else {
      chunks.push([prefix]);
      chars = prefix.length + 4;
    }
  }
  return chunks;
}

/** The longest string every one of `sorted` starts with (those of the first and the last suffice). */
function commonPrefix(sorted: readonly string[]): string {
  const first = sorted[0] ?? '';
  const last = sorted.at(-1) ?? '';
  let n = 0;
  while (n < first.length && first[n] === last[n]) n++;
  return first.slice(0, n);
}

/** An exit record, or undefined when it is not one (a VM wrote garbage: the job reads as still running). */
async function readExit(store: ObjectStore, key: string, replica: string): Promise<ExitRecord | undefined> {
  try {
    const parsed = ExitRecordSchema.safeParse(JSON.parse((await store.read(key)).toString('utf8')));
    return parsed.success ? { ...parsed.data, replica: parsed.data.replica || replica } : undefined;
  } catch (error) {
    if (error instanceof StratoError && error.code === 'E_NOT_FOUND') return undefined;
    if (error instanceof SyntaxError) return undefined;
    throw error;
  }
}

async function readJson<T>(store: ObjectStore, key: string): Promise<T | undefined> {
  try {
    return JSON.parse((await store.read(key)).toString('utf8')) as T;
  } catch {
    return undefined;
  }
}

/** Records the status a job ended with, once, before its machines are deleted. */
export async function writeFinalStatus(store: ObjectStore, prefix: string, status: JobStatus): Promise<void> {
  try {
    await store.write(`${prefix}${FINAL_OBJECT}`, Buffer.from(JSON.stringify(status)), {
      ifGenerationMatch: '0',
      contentType: 'application/json',
    });
  } catch (error) {
    if (error instanceof StratoError && error.code === 'E_CONFLICT') return;
    throw error;
  }
}

/** Writes the cancel marker once (a second cancel keeps the first reason). */
export async function writeCancelMarker(store: ObjectStore, prefix: string, reason: string): Promise<void> {
  try {
    await store.write(
      `${prefix}${CANCELLED_OBJECT}`,
      Buffer.from(JSON.stringify({ reason, at: new Date().toISOString() })),
      { ifGenerationMatch: '0', contentType: 'application/json' },
    );
  } catch (error) {
    if (error instanceof StratoError && error.code === 'E_CONFLICT') return;
    throw error;
  }
}
