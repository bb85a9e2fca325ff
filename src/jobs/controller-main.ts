/**
 * Entry point of a job's detached controller process:
 * `node controller-main.js JOB_DIR [--owner-pipe]` (see controller-launch.ts).
 * Builds the provider the job was submitted with (from `controller.json`)
 * and runs `runController` until the job has ended.
 *
 * SIGTERM, SIGINT and SIGHUP end the loop between two ticks — never in the
 * middle of starting an attempt, so a cancel that waits for the job's lock
 * always sees the attempt it must cancel. With `--owner-pipe`, stdin is a
 * pipe from the process that submitted the job (`strato run`): when it
 * closes while the job runs, that process died without cancelling, and the
 * controller cancels the job.
 */

import { loadProvider } from '../providers/registry.ts';
import { cancelJob, findControllerRecord } from './controller.ts';
import { runController } from './controller-loop.ts';
import { createJobStore } from './store.ts';

async function main(): Promise<void> {
  const [jobDir, ...flags] = process.argv.slice(2);
  if (!jobDir) throw new Error('usage: controller-main.ts JOB_DIR [--owner-pipe]');
  const setup = findControllerRecord(jobDir);
  if (!setup) throw new Error(`no controller.json in ${jobDir}`);
  const provider = await loadProvider(setup.provider, { [setup.provider]: setup.providerOptions });
  const store = createJobStore(setup.home);
  const stop = new AbortController();
  for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.on(signal, () => stop.abort());
  let cancelling: Promise<unknown> | undefined;
  if (flags.includes('--owner-pipe')) {
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
    process.stdin.on('end', ownerGone);
    process.stdin.on('close', ownerGone);
    process.stdin.on('error', ownerGone);
    process.stdin.resume();
  }
  await runController(setup.jobId, provider, store, { signal: stop.signal });
  await cancelling;
  process.exit(0);
}

main().catch((error: unknown) => {
  process.stderr.write(`strato controller: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
