/**
 * Reading an attempt's control folder (`<run dir>/attempts/<n>/`, see
 * `layout.ts`) with ONE listing per look: which replicas wrote a log, which
 * hosts booted, which replicas ended. An `exit.json` is opened only the
 * first time its generation is seen (it is written once), so a look at a
 * running job costs one list call whatever its size.
 *
 * The provider adds one object of its own beside the VMs' ones:
 * `cancelled.json`, written by `cancel` before the machines go, so a later
 * look tells a cancelled attempt from a preempted one.
 */

import { StratoError } from '../../errors.ts';
import { parseObjectUri } from '../../internal/uri.ts';
import { openObjectStore } from '../../storage/open.ts';
import { listAll, type ObjectInfo, type ObjectStore } from '../../storage/types.ts';
import type { JobStatus } from '../types.ts';
import { type ExitRecord, ExitRecordSchema } from './layout.ts';

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
  env?: NodeJS.ProcessEnv;
}

/** The object store and key prefix of a gs:// control folder. */
export async function openControlFolder(
  uri: string,
  options: ControlStoreOptions,
): Promise<{ store: ObjectStore; prefix: string }> {
  if (parseObjectUri(uri).scheme !== 'gs') {
    throw new StratoError('E_INTERNAL', `a machine job's control folder must be on gs://, got ${uri}`);
  }
  const { store, key } = await openObjectStore(uri, {
    gcs: {
      ...(options.storageEndpoint ? { apiEndpoint: options.storageEndpoint } : {}),
      ...(options.env ? { env: options.env } : {}),
    },
  });
  return { store, prefix: key.endsWith('/') ? key : `${key}/` };
}

/** Reads control folders, remembering the exit records it has read. */
export class ControlReader {
  readonly #exits = new Map<string, ExitRecord>();

  async read(store: ObjectStore, prefix: string): Promise<ControlSnapshot> {
    const snapshot: ControlSnapshot = { logs: new Map(), exits: new Map(), booted: new Set() };
    const pending: Promise<void>[] = [];
    for await (const object of listAll(store, { prefix, brief: true })) {
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
