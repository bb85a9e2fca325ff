/**
 * The `vertex` provider through the Provider interface, against the fake
 * Vertex (reached the way a user reaches it: STRATO_VERTEX_ENDPOINT): what
 * is Vertex's own (replica names, service messages, attempts, pacing), and
 * the promise that the cloud SDK loads only when the provider talks to
 * Vertex. The promises every provider keeps are checked in the contract
 * table (`../contract.test.ts`).
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../../../src/internal/sleep.ts';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import { loadProvider } from '../../../../src/providers/registry.ts';
import type { JobHandle, JobStatus, Provider, SubmitContext } from '../../../../src/providers/types.ts';
import { createVertexApi } from '../../../../src/providers/vertex/api.ts';
import { createVertexProvider, parseEndpointUrl } from '../../../../src/providers/vertex/index.ts';
import { parseJobSpec } from '../../../../src/spec/load.ts';
import type { JobSpecInput } from '../../../../src/spec/schema.ts';
import {
  type FakeVertex,
  fakeVertexEnv,
  startFakeVertex,
} from '../../../../src/testing/fake-vertex/index.ts';
import { vertexSpec } from '../../../support/specs.ts';

let fake: FakeVertex;
let provider: ReturnType<typeof createVertexProvider>;
let jobDir: string;

beforeAll(async () => {
  // Half a second queued: the first status after submit sees QUEUED even on a loaded machine.
  fake = await startFakeVertex({ timing: { queuedMs: 500, pendingMs: 30, stopGraceMs: 500 } });
  provider = createVertexProvider({
    env: fakeVertexEnv(fake),
    retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10 },
    pollScale: 0,
  });
  jobDir = mkdtempSync(join(tmpdir(), 'strato-vertex-provider-'));
});

afterAll(async () => {
  await fake.close();
  rmSync(jobDir, { recursive: true, force: true });
});

function context(jobId: string): SubmitContext {
  return { jobId, jobDir, baseDir: process.cwd(), env: {} };
}

function spec(script: string, overrides: Partial<JobSpecInput> = {}): JobSpecInput {
  return vertexSpec({
    container: { image: 'us-docker.pkg.dev/p/r/t:1', command: [process.execPath, '-e', script] },
    resources: { workers: { machineType: 'n1-standard-4' } },
    ...overrides,
  });
}

async function until(p: Provider, handle: JobHandle, states: string[]): Promise<JobStatus> {
  for (let i = 0; i < 500; i++) {
    const status = await p.status(handle);
    if (states.includes(status.state)) return status;
    await sleep(20);
  }
  throw new Error(`never reached ${states}`);
}

describe('vertex provider', () => {
  it('is what the registry loads for "vertex"', async () => {
    const loaded = await loadProvider('vertex', { vertex: { env: fakeVertexEnv(fake) } });
    expect(loaded.name).toBe('vertex');
    expect(loaded.capabilities.tpu).toBe(true);
  });

  it('submits, returns before the job runs, and follows it to SUCCEEDED', async () => {
    const handle = await provider.submit(
      planJob(parseJobSpec(spec('setTimeout(() => {}, 200)'))),
      context('ok-1'),
    );
    expect(handle).toMatchObject({ provider: 'vertex', id: 'ok-1' });
    expect(JSON.parse(JSON.stringify(handle))).toEqual(handle);
    const first = await provider.status(handle);
    expect(first.state).toBe('QUEUED');
    expect(first.message).toMatch(/^(queued|pending) for \d+s/);
    const running = await until(provider, handle, ['RUNNING']);
    expect(running.replicas).toEqual([{ name: 'workerpool0-0', role: 'chief', index: 0, state: 'RUNNING' }]);
    const done = await until(provider, handle, ['SUCCEEDED', 'FAILED']);
    expect(done).toMatchObject({ state: 'SUCCEEDED', attempt: 1, restarts: [] });
    expect(done.startedAt).toBeDefined();
    expect(done.endedAt).toBeDefined();
  });

  it('reports a failure with the replica and the service message', async () => {
    const handle = await provider.submit(planJob(parseJobSpec(spec('process.exit(7)'))), context('fails-1'));
    const done = await until(provider, handle, ['SUCCEEDED', 'FAILED']);
    expect(done.state).toBe('FAILED');
    expect(done.error).toMatchObject({
      replica: 'workerpool0-0',
      message: expect.stringMatching(/non-zero status of 7/),
    });
    expect(done.replicas[0]?.state).toBe('FAILED');
  });

  it('reports a preempted attempt read-only, and shows each attempt once the next is started', async () => {
    const handle = await provider.submit(
      planJob(
        parseJobSpec(
          spec("process.on('SIGTERM', () => process.exit(143)); setTimeout(() => {}, 60000)", {
            scheduling: { spot: true, maxRestarts: 1 },
          }),
        ),
      ),
      context('spot-1'),
    );
    await until(provider, handle, ['RUNNING']);
    const stored = JSON.stringify(handle);
    await fake.preempt((handle.data.attempts as { customJob: string }[])[0]!.customJob);
    const preempted = await provider.status(handle);
    expect(preempted).toMatchObject({ state: 'FAILED', attempt: 1, restarts: [] });
    expect(preempted.outcome).toMatchObject({ kind: 'failed', preempted: true });
    expect(JSON.stringify(handle)).toBe(stored);

    const next = await provider.startAttempt(
      handle,
      2,
      'preempted (a preemption); restarting as attempt 2 of 2',
    );
    const restarted = await provider.status(next);
    expect(restarted.attempt).toBe(2);
    expect(restarted.restarts).toEqual([
      {
        attempt: 2,
        at: expect.any(String),
        reason: 'preempted (a preemption); restarting as attempt 2 of 2',
      },
    ]);
    // Starting attempt 2 again, from the old handle as a racing process would, finds the same CustomJob.
    const creates = fake.faults.counts.calls.CreateCustomJob;
    const again = await provider.startAttempt(handle, 2, 'the same preemption');
    expect((again.data.attempts as { customJob: string }[])[1]!.customJob).toBe(
      (next.data.attempts as { customJob: string }[])[1]!.customJob,
    );
    expect(fake.faults.counts.calls.CreateCustomJob).toBe(creates);
    await provider.cancel(next);
    expect((await until(provider, next, ['CANCELLED'])).attempt).toBe(2);
  });

  it('cancel is idempotent, and a deleted CustomJob reads as a vanished, failed job', async () => {
    const handle = await provider.submit(
      planJob(parseJobSpec(spec('setTimeout(() => {}, 60000)'))),
      context('c-1'),
    );
    await provider.cancel(handle);
    await provider.cancel(handle);
    const cancelled = await until(provider, handle, ['CANCELLED']);
    expect(cancelled.error?.message).toBe('CANCELED');
    await provider.cancel(handle);
    const name = (handle.data.attempts as { customJob: string }[])[0]!.customJob;
    await fake.service.delete(name);
    const vanished = await provider.status(handle);
    expect(vanished.state).toBe('FAILED');
    expect(vanished.error?.message).toMatch(/no longer exists/);
    await expect(provider.cancel(handle)).resolves.toBeUndefined();
  });

  it('paces Vertex reads however often status is asked, and reads again after a cancel', async () => {
    const paced = createVertexProvider({ env: fakeVertexEnv(fake) });
    const handle = await paced.submit(
      planJob(parseJobSpec(spec('setTimeout(() => {}, 60000)'))),
      context('paced-1'),
    );
    const gets = fake.faults.counts.calls.GetCustomJob ?? 0;
    for (let i = 0; i < 20; i++) expect((await paced.status(handle)).state).toBe('QUEUED');
    // One read; the next is due 10 s later (a fresh QUEUED job).
    expect(fake.faults.counts.calls.GetCustomJob).toBe(gets + 1);
    await paced.cancel(handle);
    await paced.status(handle);
    expect(fake.faults.counts.calls.GetCustomJob).toBeGreaterThan(gets + 2);
  });

  it('reads many jobs with one ListCustomJobs', async () => {
    const handles = await Promise.all(
      [1, 2, 3].map((i) => provider.submit(planJob(parseJobSpec(spec(''))), context(`many-${i}`))),
    );
    const lists = fake.faults.counts.calls.ListCustomJobs ?? 0;
    const gets = fake.faults.counts.calls.GetCustomJob ?? 0;
    const statuses = await provider.statusMany(handles);
    expect(statuses).toHaveLength(3);
    expect(fake.faults.counts.calls.ListCustomJobs).toBe(lists + 1);
    expect(fake.faults.counts.calls.GetCustomJob ?? 0).toBe(gets);
  });

  it('parses endpoint URLs: http is plaintext, https and bare host:port are TLS', async () => {
    expect(await parseEndpointUrl('http://127.0.0.1:8085')).toMatchObject({
      apiEndpoint: '127.0.0.1',
      port: 8085,
    });
    expect((await parseEndpointUrl('http://127.0.0.1:8085')).sslCreds).toBeDefined();
    expect(await parseEndpointUrl('europe-west4-aiplatform.googleapis.com')).toEqual({
      apiEndpoint: 'europe-west4-aiplatform.googleapis.com',
      port: 443,
    });
    await expect(parseEndpointUrl('ftp://x/y/z')).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('talks to the regional endpoint by default', async () => {
    const api = await createVertexApi('my-project', 'europe-west4');
    expect(api.endpoint).toBe('europe-west4-aiplatform.googleapis.com:443');
    expect(api.parent).toBe('projects/my-project/locations/europe-west4');
    await api.close();
  });

  it('loads no cloud SDK until it talks to Vertex', () => {
    const script = `
      const { createRequire } = await import('node:module');
      const { createVertexProvider } = await import(${JSON.stringify(join(process.cwd(), 'src/providers/vertex/index.ts'))});
      const { renderCustomJob } = await import(${JSON.stringify(join(process.cwd(), 'src/providers/vertex/custom-job.ts'))});
      createVertexProvider();
      const loaded = Object.keys(createRequire(import.meta.url).cache).filter((p) => p.includes('aiplatform'));
      console.log(JSON.stringify({ loaded, render: typeof renderCustomJob }));`;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      encoding: 'utf8',
    });
    expect(JSON.parse(out)).toEqual({ loaded: [], render: 'function' });
  });
});
