/**
 * The startup script's text (`startup-script.sh` beside this file, shipped
 * with the package: the build copies non-TypeScript files of `src/` into
 * `dist/`). Read by the machine providers when they create a job's machines
 * and by the infra constructs that put the agent on standing machines
 * (`stratoJobs: true`), which build their props synchronously.
 */

import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { StratoError } from '../errors.ts';

const SCRIPT_URL = new URL('./startup-script.sh', import.meta.url);

function missing(error: unknown): StratoError {
  return new StratoError(
    'E_INTERNAL',
    `the VM startup script is missing from this install (${SCRIPT_URL.pathname})`,
    {
      cause: error,
      hint: 'reinstall strato; the package ships src/agent/startup-script.sh',
    },
  );
}

/** The startup script every machine runs. */
export async function loadStartupScript(): Promise<string> {
  try {
    return await readFile(SCRIPT_URL, 'utf8');
  } catch (error) {
    throw missing(error);
  }
}

/** The same, read at once (a construct's constructor cannot wait). */
export function loadStartupScriptSync(): string {
  try {
    return readFileSync(SCRIPT_URL, 'utf8');
  } catch (error) {
    throw missing(error);
  }
}
