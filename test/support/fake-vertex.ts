/** Shared by the fake Vertex tests: the real client pointed at a fake, and small job bodies. */

import { v1 } from '@google-cloud/aiplatform';
import { sleep } from '../../src/internal/sleep.ts';
import type { FakeVertex } from '../../src/testing/fake-vertex/index.ts';

export const PARENT = 'projects/my-project/locations/us-central1';

/** Test timing: QUEUED and PENDING last long enough for a 10 ms poll to see them; stops are quick. */
export const FAST_TIMING = {
  queuedMs: 80,
  pendingMs: 80,
  stopGraceMs: 1000,
};

export function jobServiceClient(fake: FakeVertex): v1.JobServiceClient {
  return new v1.JobServiceClient({ ...fake.clientOptions(), universeDomain: 'googleapis.com' });
}

/** A command that runs `script` with Node (the fake runs containers as local processes). */
export function nodeCommand(script: string): string[] {
  return [process.execPath, '-e', script];
}

/** Prints the Vertex-injected environment as one JSON line, then waits `ms`. */
export function printEnvScript(ms = 0): string {
  return `const pick = ['CLUSTER_SPEC','TF_CONFIG','AIP_MODEL_DIR','AIP_CHECKPOINT_DIR','AIP_TENSORBOARD_LOG_DIR','TPU_WORKER_ID','TPU_WORKER_HOSTNAMES','CLOUD_ML_JOB_ID','MY_VAR'];
console.log(JSON.stringify(Object.fromEntries(pick.filter((k) => k in process.env).map((k) => [k, process.env[k]]))));
setTimeout(() => {}, ${ms});`;
}

export function cpuPool(command: string[], replicaCount = 1, machineType = 'n1-standard-4') {
  return {
    machineSpec: { machineType },
    replicaCount,
    containerSpec: { imageUri: 'us-docker.pkg.dev/p/r/trainer:1', command },
  };
}

export function customJob(
  pools: object[],
  extra: { labels?: Record<string, string>; displayName?: string; timeoutSec?: number } = {},
) {
  return {
    displayName: extra.displayName ?? 'test-job',
    labels: extra.labels ?? {},
    jobSpec: {
      workerPoolSpecs: pools,
      baseOutputDirectory: { outputUriPrefix: 'gs://bucket/runs/test' },
      ...(extra.timeoutSec ? { scheduling: { timeout: { seconds: extra.timeoutSec } } } : {}),
    },
  };
}

/** Polls GetCustomJob until the job reaches one of `states`; returns the job and every state seen. */
export async function waitForState(
  client: v1.JobServiceClient,
  name: string,
  states: readonly string[],
  timeoutMs = 15_000,
) {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [job] = await client.getCustomJob({ name });
    const state = String(job.state);
    if (seen.at(-1) !== state) seen.push(state);
    if (states.includes(state)) return { job, seen };
    if (Date.now() > deadline)
      throw new Error(`job ${name} still ${state} after ${timeoutMs} ms (seen ${seen})`);
    await sleep(10);
  }
}
