/**
 * For the Vertex end-to-end tests: the fake cloud (Cloud Storage + Vertex
 * AI) on loopback, the vertex provider pointed at it the way a user points
 * it (the environment `strato fake-cloud` prints), job specs that run the
 * reference trainer, and metrics read back from gs://.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { submit } from '../../src/jobs/submit.ts';
import { followRunMetrics } from '../../src/metrics/stream.ts';
import type { MetricEvent } from '../../src/metrics/types.ts';
import { createVertexProvider } from '../../src/providers/vertex/index.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';

export const BUCKET = 'strato-e2e';
const REPO = resolve(import.meta.dirname, '..', '..');
export const DATA_DIR = join(REPO, 'templates', 'quickstart-data', 'fashion-mnist-mini');

export interface VertexCloud {
  cloud: FakeCloud;
  provider: ReturnType<typeof createVertexProvider>;
  /** STRATO_HOME of the test: the job store. */
  home: string;
  /**
   * What `submit` takes to use this cloud as a user's shell would (the
   * exports of `strato fake-cloud`): the provider, the job store, and the
   * environment that points the run dir claim at the fake Cloud Storage.
   */
  jobs: { provider: ReturnType<typeof createVertexProvider>; home: string; env: NodeJS.ProcessEnv };
  close(): Promise<void>;
}

export async function startVertexCloud(): Promise<VertexCloud> {
  const home = mkdtempSync(join(tmpdir(), 'strato-vertex-e2e-'));
  const cloud = await startFakeCloud({
    storage: { buckets: [BUCKET] },
    // Replicas run from the repo root, where `node --import tsx` finds tsx.
    vertex: { cwd: REPO, timing: { queuedMs: 50, pendingMs: 100, stopGraceMs: 5000 } },
  });
  const provider = createVertexProvider({
    env: cloud.env,
    pollScale: 0.005,
    retry: { maxAttempts: 4, initialDelayMs: 10, maxDelayMs: 50 },
  });
  return {
    cloud,
    provider,
    home,
    jobs: { provider, home, env: { ...process.env, ...cloud.env } },
    async close() {
      await cloud.close();
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/**
 * A Vertex job running the reference trainer. Replicas of the fake run on
 * this machine, so the dataset is read from the repo; outputs go to gs://.
 */
export function trainerJob(
  name: string,
  args: string[],
  overrides: Partial<JobSpecInput> = {},
): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name,
    strategy: 'one-device',
    container: {
      image: 'us-docker.pkg.dev/my-project/strato/reference-trainer:1',
      command: [process.execPath, '--import', 'tsx', 'trainer-images/reference/train.ts'],
      args,
      env: { DATA_DIR },
    },
    resources: { workers: { machineType: 'n1-standard-4' } },
    output: `gs://${BUCKET}/runs/${name}`,
    provider: { name: 'vertex', project: 'my-project', region: 'us-central1' },
    ...overrides,
  };
}

/** Every scalar under the run dir, read from the fake Cloud Storage. */
export async function readMetrics(cloud: FakeCloud, runDir: string): Promise<MetricEvent[]> {
  const events: MetricEvent[] = [];
  for await (const event of followRunMetrics(runDir, {
    storeOptions: { gcs: { apiEndpoint: cloud.endpoints.storage! } },
  })) {
    events.push(event);
  }
  return events;
}

export function series(
  events: readonly MetricEvent[],
  run: string,
  tag: string,
): { step: number; value: number }[] {
  return events
    .filter((e) => e.run === run && e.tag === tag)
    .map((e) => ({ step: e.step, value: e.value }))
    .sort((a, b) => a.step - b.step);
}

/** Submits through the job lifecycle (as `strato run` does) and waits for the end. */
export async function runToEnd(env: VertexCloud, spec: JobSpecInput) {
  const job = await submit(spec, env.jobs);
  const status = await job.wait({ pollIntervalMs: 50 });
  return { job, status };
}

/** The CustomJob of the job's current attempt. */
export function currentCustomJob(handle: { data: Record<string, unknown> }): string {
  return (handle.data.attempts as { customJob: string }[]).at(-1)!.customJob;
}

/**
 * The fake cloud for one test file: started before its tests, closed after.
 * The returned object forwards to the running cloud, so tests read it as a
 * plain constant (`env.provider`, `env.cloud`).
 */
export function useVertexCloud(): VertexCloud {
  let running: VertexCloud | undefined;
  beforeAll(async () => {
    running = await startVertexCloud();
  });
  afterAll(async () => {
    await running?.close();
  });
  return new Proxy({} as VertexCloud, {
    get(_target, key) {
      if (!running) throw new Error('the fake cloud is used before beforeAll started it');
      return running[key as keyof VertexCloud];
    },
  });
}
