/**
 * Entry point of a detached supervisor process:
 * `node supervisor-main.js JOB_DIR [--attempt N] [--owner-pipe]` (see supervisor-launch.ts).
 * With `--attempt N` it runs attempt N, once `supervisor.json` says so
 * (`startAttempt` writes that right after starting this process).
 *
 * SIGTERM, SIGINT and SIGHUP cancel the job (the reason is read from the
 * cancel marker `strato cancel` writes first). With `--owner-pipe`, stdin is
 * a pipe from the process that submitted the job (`strato run`): when it
 * closes while the job runs, that process died without cancelling, and the
 * job is cancelled so nothing it started is left behind.
 */

import { readFileSync } from 'node:fs';
import { findJson } from '../../internal/atomic-json.ts';
import { sleep } from '../../internal/sleep.ts';
import { findLocalState, jobFiles, type LaunchSpec } from './state.ts';
import { startSupervisor } from './supervisor.ts';

function cancelReason(jobDir: string, fallback: string): string {
  try {
    const text = readFileSync(jobFiles(jobDir).cancelMarker, 'utf8').trim();
    return text === '' ? fallback : text;
  } catch {
    return fallback;
  }
}

async function main(): Promise<void> {
  const [jobDir, ...flags] = process.argv.slice(2);
  if (!jobDir) throw new Error('usage: supervisor-main.ts JOB_DIR [--attempt N] [--owner-pipe]');
  const launch = findJson<LaunchSpec>(jobFiles(jobDir).launch);
  if (!launch) throw new Error(`no launch.json in ${jobDir}`);
  const attemptFlag = flags.indexOf('--attempt');
  if (attemptFlag >= 0) {
    const attempt = Number(flags[attemptFlag + 1]);
    for (let i = 0; findLocalState(jobDir)?.attempt !== attempt; i++) {
      if (i >= 500) throw new Error(`supervisor.json in ${jobDir} never announced attempt ${attempt}`);
      await sleep(10);
    }
  }
  const supervisor = startSupervisor({ jobDir, launch, baseEnv: process.env });
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
    process.on(signal, () => supervisor.cancel(cancelReason(jobDir, `the supervisor received ${signal}`)));
  }
  if (flags.includes('--owner-pipe')) {
    const ownerGone = () =>
      supervisor.cancel('the process that started the job (strato run) exited without cancelling it');
    process.stdin.on('end', ownerGone);
    process.stdin.on('close', ownerGone);
    process.stdin.on('error', ownerGone);
    process.stdin.resume();
  }
  await supervisor.done;
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`strato supervisor: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
