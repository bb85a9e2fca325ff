/**
 * How a supervisor process starts: `node <supervisor-main> JOB_DIR`, the
 * module from this package's own install (its build, or its sources in the
 * repository), so launching costs one Node start and nothing more.
 */

import { nodeArgsFor, packageModule } from '../../internal/node-entry.ts';

export const SUPERVISOR_MAIN = packageModule('./supervisor-main.ts', import.meta.url);

/** Node arguments that start a supervisor; the job folder and flags follow. */
export function supervisorNodeArgs(): string[] {
  return nodeArgsFor(SUPERVISOR_MAIN);
}
