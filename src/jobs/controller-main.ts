/**
 * Entry point of a job's detached controller process:
 * `node controller-main.js JOB_DIR [--owner-pipe] [--launching]` (see controller-launch.ts).
 * Builds the provider the job was submitted with (from `controller.json`)
 * and runs `runController` until the job has ended.
 *
 * SIGTERM, SIGINT and SIGHUP end the loop between two ticks — never in the
 * middle of starting an attempt, so a cancel that waits for the job's lock
 * always sees the attempt it must cancel. With `--owner-pipe`, stdin is a
 * pipe from the process that submitted the job (`strato run`): when it
 * closes while the job runs, that process died without cancelling, and the
 * controller cancels the job. With `--launching`, it started before the
 * provider created anything, stdin is a pipe from the submitter, and it
 * first guards the launch (`launch-guard.ts`).
 *
 * A watchdog outside the loop ends the process when the loop cannot: a
 * service call that never settles (a client stuck while its endpoint went
 * away) would otherwise keep the loop from ever ticking again, and a
 * controller would outlive its job folder, its cloud and any signal. It
 * exits when the job's record is gone, when no tick came for the give-up
 * time, or when a signal asked to stop and the loop did not within a grace.
 */

import { loadProvider } from '../providers/registry.ts';
import { cancelJob, findControllerRecord } from './controller.ts';
import { CONTROLLER_GIVES_UP_MS, runController } from './controller-loop.ts';
import { guardLaunch } from './launch-guard.ts';
import { createJobStore } from './store.ts';

/** How often the watchdog looks, and how long a stop may take before it is forced. */
const WATCHDOG_MS = 5_000;
const STOP_GRACE_MS = 30_000;

async function main(): Promise<void> {
  const [jobDir, ...flags] = process.argv.slice(2);
  if (!jobDir) throw new Error('usage: controller-main.ts JOB_DIR [--owner-pipe] [--launching]');
  const setup = findControllerRecord(jobDir);
  if (!setup) throw new Error(`no controller.json in ${jobDir}`);
  const provider = await loadProvider(setup.provider, { [setup.provider]: setup.providerOptions });
  const store = createJobStore(setup.home);
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop.abort());
  const piped = flags.includes('--owner-pipe') || flags.includes('--launching');
  const submitterGone = piped ? pipeClosed(process.stdin) : undefined;
  if (submitterGone && flags.includes('--launching')) {
    const ending = await guardLaunch(jobDir, setup.jobId, provider, store, {
      submitterGone,
      signal: stop.signal,
      log: (line) => process.stderr.write(`strato controller: ${setup.jobId}: ${line}\n`),
    });
    if (ending !== 'launched') process.exit(0);
  }
  let cancelling: Promise<unknown> | undefined;
  if (submitterGone && flags.includes('--owner-pipe')) {
    const ownerGone = () => {
      if (cancelling) return;
      stop.abort();
      const record = store.findJob(setup.jobId);
      cancelling = record
        ? cancelJob(record, provider, store, {
            reason: 'the process that started the job (strato run) exited without cancelling it',
            stopController: false,
          }).catch(() => {})
        : Promise.resolve();
    };
    void submitterGone.then(ownerGone);
  }
  let lastTick = Date.now();
  let stopAskedAt: number | undefined;
  stop.signal.addEventListener('abort', () => {
    stopAskedAt = Date.now();
  });
  const watchdog = setInterval(() => {
    const now = Date.now();
    const why = !store.findJob(setup.jobId)
      ? 'its job record is gone'
      : now - lastTick > CONTROLLER_GIVES_UP_MS
        ? `no look at the job succeeded for ${Math.round((now - lastTick) / 60_000)} min`
        : stopAskedAt !== undefined && !cancelling && now - stopAskedAt > STOP_GRACE_MS
          ? 'it was asked to stop and its look at the job does not return'
          : undefined;
    if (!why) return;
    process.stderr.write(`strato controller: ${setup.jobId}: ending: ${why}\n`);
    process.exit(why === 'its job record is gone' ? 0 : 1);
  }, WATCHDOG_MS);
  watchdog.unref();
  await runController(setup.jobId, provider, store, {
    signal: stop.signal,
    onTick: () => {
      lastTick = Date.now();
    },
  });
  await cancelling;
  process.exit(0);
}

/** Resolves when the other end of the pipe closes (its process exited, however it ended). */
function pipeClosed(stream: NodeJS.ReadStream): Promise<void> {
  return new Promise((resolve) => {
    for (const event of ['end', 'close', 'error']) stream.on(event, () => resolve());
    stream.resume();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`strato controller: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
