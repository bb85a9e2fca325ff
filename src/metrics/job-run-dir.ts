/**
 * The run dir of a job id, from the job store: `$STRATO_HOME/jobs/<id>/job.json`
 * holds the job handle, whose `runDir` is where its logs are.
 */

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StratoError } from '../errors.ts';
import { stratoHome } from '../jobs/home.ts';

/** Job ids are one path segment: letters, digits, `.`, `_`, `-` (never `..` or a `/`). */
const JOB_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Maps a job id to its run dir (URI or path), or undefined when there is no such job. */
export type JobRunDirResolver = (jobId: string) => Promise<string | undefined>;

/** Reads `runDir` from the job store under `stratoHome(env)`. */
export function jobStoreRunDirResolver(env: NodeJS.ProcessEnv = process.env): JobRunDirResolver {
  return async (jobId) => {
    if (!JOB_ID_PATTERN.test(jobId)) return undefined;
    const path = join(stratoHome(env), 'jobs', jobId, 'job.json');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new StratoError('E_IO', `cannot read ${path}: ${(error as Error).message}`, { cause: error });
    }
    let runDir: unknown;
    try {
      runDir = (JSON.parse(text) as { runDir?: unknown }).runDir;
    } catch (error) {
      throw new StratoError('E_CORRUPT', `${path} is not valid JSON`, {
        cause: error,
        hint: 'the job record is damaged; pass the run dir itself instead of the job id',
      });
    }
    if (typeof runDir !== 'string' || runDir === '') {
      throw new StratoError('E_CORRUPT', `${path} has no "runDir"`, {
        hint: 'pass the run dir itself instead of the job id',
      });
    }
    return runDir;
  };
}
