/**
 * The reference trainer: `node --import tsx trainer-images/reference/train.ts [flags]`.
 * No TensorFlow, no network beyond the cluster's own addresses: it runs on a
 * fresh machine (the quickstart) and as a CPU smoke test in a container.
 *
 * Exit codes follow TF's preemption contract: 0 done; 143 when stopped by
 * SIGTERM (after saving a checkpoint at the current step); 42 when another
 * task vanished and nobody stopped this one (restart me); 1 on errors.
 * Tasks that do not train here (parameter servers, coordinated workers of
 * parameter-server training, the evaluator) serve until they are stopped.
 */

import { clusterFromEnv } from './cluster.ts';
import { parseConfig } from './config.ts';
import { train } from './train-loop.ts';

/** TF PreemptionCheckpointHandler's exit codes: 143 on GCE (128 + SIGTERM), 42 elsewhere. */
const EXIT_STOPPED = 143;
const EXIT_RESTART_ME = 42;
/** After losing a peer, how long to wait for the orchestrator's SIGTERM before exiting by ourselves. */
const PEER_LOST_WAIT_MS = 10_000;

const log = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const stop = new AbortController();
  process.on('SIGTERM', () => stop.abort());
  process.on('SIGINT', () => stop.abort());
  const config = parseConfig(process.argv.slice(2), process.env);
  const role = clusterFromEnv(process.env);
  const strategy = process.env.STRATO_STRATEGY ?? '';
  const serves = role.rank < 0 || (strategy === 'parameter-server' && role.taskType !== 'chief');
  if (serves) {
    log(`${role.name}: nothing to train here in the reference trainer; serving until stopped`);
    await new Promise((resolve) => stop.signal.addEventListener('abort', resolve, { once: true }));
    return 0;
  }
  // Parameter-server training: the chief trains alone (the reference trainer has no async PS mode).
  const cluster =
    strategy === 'parameter-server' ? { ...role, rank: 0, size: 1, exchangeAddress: undefined } : role;
  const result = await train(config, cluster, { stop: stop.signal, log });
  if (result.kind === 'completed') {
    if (result.validation) {
      log(
        `done: val_loss ${result.validation.loss.toFixed(4)} val_accuracy ${result.validation.accuracy.toFixed(4)}`,
      );
    }
    return 0;
  }
  if (result.kind === 'stopped') return EXIT_STOPPED;
  log(`${role.name}: waiting up to ${PEER_LOST_WAIT_MS / 1000} s to be stopped`);
  const stopped = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), PEER_LOST_WAIT_MS);
    stop.signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(true);
    });
    if (stop.signal.aborted) resolve(true);
  });
  return stopped ? EXIT_STOPPED : EXIT_RESTART_ME;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`reference trainer: ${(error as Error).message ?? String(error)}\n`);
    process.exit(1);
  },
);
