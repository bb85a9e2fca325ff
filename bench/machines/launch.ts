/**
 * Part 1: from submit to every replica running, for one job of 1, 4 and 16
 * hosts at a time. The clock starts before the plan is compiled and stops
 * at the first fresh status (pollScale 0, read every POLL_MS) that reports
 * the job RUNNING with every replica RUNNING or IDLE (`allRunning`). Each
 * job is cancelled after its measure, with the fake's operations made quick
 * so the deletions do not slow the run.
 */

import { sleep } from '../../src/internal/sleep.ts';
import { isTerminalState, type Provider } from '../../src/providers/types.ts';
import type { BootStandIn } from './boot-stand-in.ts';
import { allRunning, gceSpec, jobIdFor, submitToProvider, tpuSpec } from './jobs.ts';

/** How often the benchmark asks the provider for a (fresh) status while it waits. */
export const POLL_MS = 50;
const GIVE_UP_MS = 60_000;

export interface LaunchSample {
  /** Seconds until `submit` returned (plan compiled, machines asked for). */
  submitted: number;
  /** Seconds until the fake held every machine up (VMs RUNNING, the node READY). */
  machinesUp: number;
  /** Seconds until the provider's status said every replica running. */
  running: number;
}

export interface LaunchSetup {
  providers: { gce: Provider; 'tpu-vm': Provider };
  standIn: BootStandIn;
  home: string;
  env: NodeJS.ProcessEnv;
  /** Makes the fakes' operations slow (`true`: 2 s) for a measure, or quick for the clean-up. */
  slowOperations(slow: boolean): void;
}

export async function launchOnce(
  setup: LaunchSetup,
  kind: 'gce' | 'tpu-vm',
  hosts: number,
): Promise<LaunchSample> {
  const provider = setup.providers[kind];
  const input = kind === 'gce' ? gceSpec(hosts, 'us-central1-a') : tpuSpec(hosts);
  const jobId = jobIdFor(input);
  // A gce job has one VM per replica; a TPU slice is one node, whatever its hosts.
  setup.standIn.expect(jobId, kind === 'gce' ? hosts : 1);
  setup.slowOperations(true);
  const started = performance.now();
  const handle = await submitToProvider(provider, input, jobId, setup);
  const submitted = performance.now();
  let running: number | undefined;
  try {
    while (running === undefined) {
      const status = await provider.status(handle);
      if (allRunning(status)) running = performance.now();
      else if (isTerminalState(status.state))
        throw new Error(`${jobId} ended ${status.state}: ${status.message}`);
      else if (performance.now() - started > GIVE_UP_MS) throw new Error(`${jobId} not running after 60 s`);
      else await sleep(POLL_MS);
    }
  } finally {
    setup.slowOperations(false);
    await provider.cancel(handle, 'benchmark measured');
  }
  const up = setup.standIn.upAt(jobId) ?? Number.NaN;
  return {
    submitted: (submitted - started) / 1000,
    machinesUp: (up - started) / 1000,
    running: (running - started) / 1000,
  };
}
