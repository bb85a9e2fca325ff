/** Helpers for tests of the local provider: temp homes, waiting, and asking the OS what survived. */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '../../src/internal/sleep.ts';
import { findControllerRecord } from '../../src/jobs/controller.ts';
import { isProcessAlive, readProcStat } from '../../src/providers/local/proc.ts';
import { findLocalState } from '../../src/providers/local/state.ts';
import type { LogLine } from '../../src/providers/types.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  what: string,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Every process of a local job that still lives, as the OS sees it: the
 * job's controller, the supervisor, the watchdog, each replica, and anything
 * in a replica's process group (its children).
 */
export function survivingProcesses(jobDir: string): number[] {
  const pids = new Set<number>();
  const controller = findControllerRecord(jobDir);
  if (controller?.pid !== undefined && isProcessAlive(controller.pid, controller.startTicks)) {
    pids.add(controller.pid);
  }
  const state = findLocalState(jobDir);
  if (!state) return [...pids];
  const { pid, startTicks, watchdogPid } = state.supervisor;
  if (pid !== undefined && isProcessAlive(pid, startTicks)) pids.add(pid);
  if (watchdogPid !== undefined && isProcessAlive(watchdogPid)) pids.add(watchdogPid);
  const groups = new Set(state.replicas.flatMap((r) => (r.pgid === undefined ? [] : [r.pgid])));
  for (const replica of state.replicas) {
    if (replica.pid !== undefined && isProcessAlive(replica.pid, replica.startTicks)) pids.add(replica.pid);
  }
  if (existsSync('/proc')) {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = readProcStat(Number(entry));
      if (stat && groups.has(stat.pgid) && stat.state !== 'Z') pids.add(Number(entry));
    }
  }
  return [...pids];
}

/** Waits until nothing of the job runs; fails naming what is left. */
export async function expectNothingSurvives(jobDir: string, timeoutMs = 15_000): Promise<void> {
  await waitFor(
    () => survivingProcesses(jobDir).length === 0,
    `no process of ${jobDir} left`,
    timeoutMs,
  ).catch(() => {
    throw new Error(`processes of the job still alive: ${survivingProcesses(jobDir).join(', ')}`);
  });
}

/** A local job spec running `sh -c SCRIPT` on every replica. */
export function shellSpec(script: string, overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name: 'shell-job',
    strategy: 'multi-worker-mirrored',
    container: { command: ['sh', '-c', script] },
    resources: { workers: { replicas: 2 } },
    ...overrides,
  };
}

export const REPO_ROOT = join(import.meta.dirname, '..', '..');

/** A `strato` process with its stdout and stderr collected together. */
export interface StratoProcess {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

/**
 * `strato ARGS…` from the build (bin/strato.js), as a user runs it. `exited`
 * resolves on the process's exit, or with `until: 'close'` once its output
 * has closed too (for commands that start no detached process).
 */
export function spawnStrato(
  args: string[],
  options: { env: NodeJS.ProcessEnv; cwd: string; until?: 'exit' | 'close' },
): StratoProcess {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), ...args], {
    env: options.env,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on(options.until ?? 'exit', (code) => resolve(code)),
  );
  return { child, output: () => output, exited };
}

export interface RunningCli extends StratoProcess {
  jobId(): Promise<string>;
}

/** `strato run` of a one-line shell job, as a separate process, with STRATO_HOME set to `home`. */
export function startCliRun(home: string, name: string, script: string, ...flags: string[]): RunningCli {
  const file = join(home, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(shellSpec(script, { name })));
  const cli = spawnStrato(['run', file, ...flags], {
    env: { ...process.env, STRATO_HOME: home },
    cwd: REPO_ROOT,
  });
  return {
    ...cli,
    jobId: () => waitFor(() => /submitted\s+(\S+)/.exec(cli.output())?.[1], 'the job id in the output'),
  };
}

/** Every line a job's replicas printed, as `<replica>: <text>` (the machine providers' tests compare these). */
export async function replicaLines(job: { logs(): AsyncIterable<LogLine> }): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of job.logs()) lines.push(`${line.replica}: ${line.text}`);
  return lines;
}
