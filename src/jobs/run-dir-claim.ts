/**
 * Who owns a run dir. A job writes its checkpoints and TensorBoard event
 * files under its run dir, and a trainer resumes from whatever checkpoints it
 * finds there: a second job pointed at the same `output:` would silently
 * continue the first one's training and replay its metrics as its own. So
 * `submit` claims the run dir first, through the object store, by writing a
 * small marker, `strato-job.json` (`{version, jobId, name, createdAt,
 * continues}`), at its root:
 *
 * - no marker and no `checkpoints/` or `logs/` objects: the run dir is
 *   free; the marker is written (only if still absent: two submits racing
 *   for one output get one winner);
 * - a marker naming another job, or checkpoints or event files with no
 *   marker (a run from before markers, or from another tool): refused, with
 *   the fix — a new `output:`, or `--resume JOB` to continue that job on
 *   purpose;
 * - `--resume JOB` where the marker names JOB (or a job JOB continued): the
 *   new job takes the marker over, listing the jobs it continues.
 *
 * A submit that fails after claiming gives the run dir back as it found it.
 */

import { StratoError } from '../errors.ts';
import { type OpenedStore, openObjectStore, type StoreOptions } from '../storage/open.ts';

/** The marker's name at the run dir's root. */
export const RUN_DIR_MARKER = 'strato-job.json';

export interface RunDirMarker {
  version: 1;
  /** The job that writes here now. */
  jobId: string;
  name: string;
  createdAt: string;
  /** Jobs this one continues (`--resume`), oldest first. */
  continues?: string[];
}

export interface ClaimRunDirOptions extends StoreOptions {
  /** Continue this job: its marker (or its unmarked checkpoints) are expected here. */
  resume?: string;
  now?: () => Date;
}

export interface RunDirClaim {
  /** Undoes the claim (a submit that failed): the marker as it was before, or none. */
  release(): Promise<void>;
}

/** A child URI of the run dir root. */
const under = (root: string, name: string) => `${root.replace(/\/+$/, '')}/${name}`;

async function holdsWork(runDirRoot: string, options: StoreOptions): Promise<string | undefined> {
  for (const folder of ['checkpoints/', 'logs/']) {
    const { store, key } = await openObjectStore(under(runDirRoot, folder), options);
    try {
      const page = await store.list({ prefix: key, maxResults: 1 });
      if (page.objects.length > 0) return folder.slice(0, -1);
    } finally {
      await store.close?.();
    }
  }
  return undefined;
}

function parseMarker(bytes: Buffer, uri: string): RunDirMarker {
  try {
    const marker = JSON.parse(bytes.toString('utf8')) as RunDirMarker;
    if (marker.version === 1 && typeof marker.jobId === 'string') return marker;
  } catch {
    // Reported below.
  }
  throw new StratoError('E_CORRUPT', `${uri} is not a Strato run dir marker`, {
    hint: 'delete it if no job owns this run dir, or use another `output:`',
  });
}

function refused(runDir: string, why: string, owner: string | undefined): StratoError {
  const resume = owner ? `\`--resume ${owner}\`` : '`--resume JOB` (the job that wrote it)';
  return new StratoError('E_USAGE', `run dir ${runDir} ${why}; a new job would train on from them`, {
    hint: `set a new \`output:\` in the spec for a new run, or pass ${resume} to run/submit to continue it on purpose`,
  });
}

/**
 * Claims `runDirRoot` for `jobId`, or throws E_USAGE (exit 2) saying whose
 * work is there and how to go on. Throws what the store throws (E_AUTH
 * without credentials) before anything is written.
 */
export async function claimRunDir(
  runDirRoot: string,
  job: { id: string; name: string },
  options: ClaimRunDirOptions = {},
): Promise<RunDirClaim> {
  const markerUri = under(runDirRoot, RUN_DIR_MARKER);
  const { store, key }: OpenedStore = await openObjectStore(markerUri, options);
  try {
    const found = await store.stat(key);
    const previous = found ? await store.read(key) : undefined;
    const marker = previous ? parseMarker(previous, markerUri) : undefined;
    let continues: string[] | undefined;
    if (marker) {
      const owners = [...(marker.continues ?? []), marker.jobId];
      if (!options.resume || !owners.includes(options.resume)) {
        if (options.resume) {
          throw new StratoError(
            'E_USAGE',
            `--resume ${options.resume}: run dir ${runDirRoot} belongs to job ${marker.jobId}, not to ${options.resume}`,
            { hint: `pass --resume ${marker.jobId} to continue it, or set a new \`output:\`` },
          );
        }
        throw refused(runDirRoot, `already holds job ${marker.jobId}'s output`, marker.jobId);
      }
      continues = owners;
    } else if (!options.resume) {
      const work = await holdsWork(runDirRoot, options);
      if (work)
        throw refused(runDirRoot, `already holds ${work}/ of a job with no ${RUN_DIR_MARKER}`, undefined);
    } else {
      continues = [options.resume];
    }
    const next: RunDirMarker = {
      version: 1,
      jobId: job.id,
      name: job.name,
      createdAt: (options.now?.() ?? new Date()).toISOString(),
      ...(continues ? { continues } : {}),
    };
    const generation = await writeMarker(store, key, next, found?.generation ?? '0');
    return { release: () => restore(markerUri, previous, generation, options) };
  } catch (error) {
    if (error instanceof StratoError && error.code === 'E_CONFLICT') {
      throw refused(runDirRoot, 'was claimed by another job while this one was being submitted', undefined);
    }
    throw error;
  } finally {
    await store.close?.();
  }
}

/**
 * Writes the marker only over the generation read (`'0'`: only if absent), so
 * a job claiming the run dir meanwhile wins and this one is told. A write
 * whose reply was lost and was retried meets its own marker: that is success.
 */
async function writeMarker(
  store: OpenedStore['store'],
  key: string,
  marker: RunDirMarker,
  ifGenerationMatch: string,
): Promise<string | undefined> {
  try {
    const written = await store.write(key, Buffer.from(`${JSON.stringify(marker, null, 2)}\n`), {
      contentType: 'application/json',
      ifGenerationMatch,
    });
    return written.generation;
  } catch (error) {
    if (!(error instanceof StratoError && error.code === 'E_CONFLICT')) throw error;
    const now = await store.stat(key);
    const mine = now && parseMarker(await store.read(key), key).jobId === marker.jobId;
    if (!mine) throw error;
    return now.generation;
  }
}

/** Puts the marker back as it was: the previous one, or none (only if it is still ours). */
async function restore(
  markerUri: string,
  previous: Buffer | undefined,
  generation: string | undefined,
  options: StoreOptions,
): Promise<void> {
  const { store, key } = await openObjectStore(markerUri, options);
  try {
    if (previous) await store.write(key, previous, { contentType: 'application/json' });
    else await store.delete(key, generation ? { ifGenerationMatch: generation } : {});
  } finally {
    await store.close?.();
  }
}
