/**
 * How a job's detached controller process starts: like the local
 * supervisor, from this package's own module (`internal/node-entry.ts`) —
 * the built `.js` when installed, the `.ts` source in the repository.
 * The controller is not on the launch path (it starts after `submit` has
 * returned the job, and only for jobs with `scheduling.maxRestarts` > 0),
 * so its start-up time does not delay the replicas.
 */

import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { writeJsonAtomic } from '../internal/atomic-json.ts';
import { nodeArgsFor, packageModule } from '../internal/node-entry.ts';
import { processStartTicks } from '../providers/local/proc.ts';
import { type ControllerRecord, controllerFiles } from './controller.ts';

export const CONTROLLER_MAIN = packageModule('./controller-main.ts', import.meta.url);

/** Node arguments that start a controller. */
export function controllerNodeArgs(): string[] {
  return nodeArgsFor(CONTROLLER_MAIN);
}

/**
 * Starts the job's controller, detached, and records who it is in
 * `controller.json`. With `owned`, its stdin is a pipe from this process:
 * when this process dies without cancelling, the controller cancels the job
 * (what `strato run` promises). With `launching`, it starts before the
 * provider creates anything and guards the launch (`launch-guard.ts`): when
 * this process dies before the job's record is saved, it abandons what the
 * provider had begun to create.
 */
export function spawnController(
  jobDir: string,
  record: Omit<ControllerRecord, 'pid' | 'startTicks'>,
  options: { env: NodeJS.ProcessEnv; owned: boolean; launching?: boolean },
): ControllerRecord {
  const files = controllerFiles(jobDir);
  writeJsonAtomic(files.state, record);
  const log = openSync(files.log, 'a', 0o600);
  const child = spawn(
    process.execPath,
    [
      ...controllerNodeArgs(),
      jobDir,
      ...(options.owned ? ['--owner-pipe'] : []),
      ...(options.launching ? ['--launching'] : []),
    ],
    {
      cwd: jobDir,
      env: options.env,
      detached: true,
      stdio: [options.owned || options.launching ? 'pipe' : 'ignore', log, log],
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
