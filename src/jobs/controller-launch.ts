/**
 * How a job's detached controller process starts, in the style of the local
 * supervisor's `supervisorNodeArgs`: today the sources under tsx; a build
 * that emits JavaScript switches `controllerNodeArgs` to the built entry.
 * The controller is not on the launch path (it starts after `submit` has
 * returned the job, and only for jobs with `scheduling.maxRestarts` > 0),
 * so its start-up time does not delay the replicas.
 */

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeJsonAtomic } from '../internal/atomic-json.ts';
import { processStartTicks } from '../providers/local/proc.ts';
import { type ControllerRecord, controllerFiles } from './controller.ts';

export const CONTROLLER_MAIN = fileURLToPath(new URL('./controller-main.ts', import.meta.url));

/** Node arguments that start a controller. */
export function controllerNodeArgs(): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, CONTROLLER_MAIN];
}

/**
 * Starts the job's controller, detached, and records who it is in
 * `controller.json`. With `owned`, its stdin is a pipe from this process:
 * when this process dies without cancelling, the controller cancels the job
 * (what `strato run` promises).
 */
export function spawnController(
  jobDir: string,
  record: Omit<ControllerRecord, 'pid' | 'startTicks'>,
  options: { env: NodeJS.ProcessEnv; owned: boolean },
): ControllerRecord {
  const files = controllerFiles(jobDir);
  writeJsonAtomic(files.state, record);
  const log = openSync(files.log, 'a');
  const child = spawn(
    process.execPath,
    [...controllerNodeArgs(), jobDir, ...(options.owned ? ['--owner-pipe'] : [])],
    {
      cwd: jobDir,
      env: options.env,
      detached: true,
      stdio: [options.owned ? 'pipe' : 'ignore', log, log],
    },
  );
  closeSync(log);
  child.on('error', () => {});
  child.unref();
  child.stdin?.on('error', () => {});
  (child.stdin as unknown as { unref?(): void } | null)?.unref?.();
  const startTicks = child.pid === undefined ? undefined : processStartTicks(child.pid);
  const started: ControllerRecord = {
    ...record,
    ...(child.pid !== undefined ? { pid: child.pid } : {}),
    ...(startTicks !== undefined ? { startTicks } : {}),
  };
  writeJsonAtomic(files.state, started);
  return started;
}
