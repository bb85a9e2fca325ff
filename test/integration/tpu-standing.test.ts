/**
 * A `tpu-vm` job on a stack's standing slice, end to end: the infra engine
 * queues a v4-32 pod slice carrying Strato's agent (`stratoJobs: true`) on
 * the fake Cloud TPU; its four worker VMs really boot and wait for work by
 * long-polling their metadata servers. The job patches the node's metadata
 * (every worker sees it), worker 0 runs the program, hosts 1–3 idle, and at
 * the end the work keys go and the slice stays, READY, for the next job.
 * A second job then runs on the same slice. Needs gcloud.
 */

import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootRecord } from '../../src/agent/layout.ts';
import { StratoError } from '../../src/errors.ts';
import { deployStack, planStack } from '../../src/infra/engine.ts';
import { createTpuClient } from '../../src/infra/gcp/tpu-client.ts';
import { submit } from '../../src/jobs/submit.ts';
import { createTpuVmProvider } from '../../src/providers/tpu-vm/index.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { FAST_TPU_TIMING } from '../support/fake-tpu.ts';
import { replicaLines, tempDir, waitFor } from '../support/local.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');

const PROJECT = 'my-project';
const ZONE = 'us-central2-b';
const NODE = `projects/${PROJECT}/locations/${ZONE}/nodes/tpulab-pod`;
const IMAGE = 'us-docker.pkg.dev/my-project/trainers/tpu-probe:1';
const STACK = [
  'kind: Stack',
  'name: tpulab',
  `project: ${PROJECT}`,
  `zone: ${ZONE}`,
  'resources:',
  '  TpuSlice:',
  '    pod: { acceleratorType: v4-32, runtimeVersion: tpu-vm-tf-2.16.1-pod-se, stratoJobs: true }',
].join('\n');

let fake: FakeCloud;
let storage: Storage;
const home = tempDir('strato-tpu-standing-');
const project = mkdtempSync(join(tmpdir(), 'strato-tpu-standing-project-'));

async function workerStates(): Promise<string[]> {
  const client = await createTpuClient({ env: fake.env });
  try {
    const [answer] = await client.getGuestAttributes({ name: NODE, queryPath: 'strato/state' });
    // One entry per worker, in worker order.
    return (answer.guestAttributes ?? []).map((g, worker) => `${worker}:${g.queryValue?.items?.[0]?.value}`);
  } catch {
    return [];
  } finally {
    await client.close();
  }
}
const allIdle = () =>
  waitFor(
    async () => (await workerStates()).join(',') === '0:idle,1:idle,2:idle,3:idle',
    'the 4 workers idle',
    30_000,
  );

beforeAll(async () => {
  fake = await startFakeCloud({
    storage: { buckets: [{ name: 'my-bucket' }] },
    tpu: { timing: FAST_TPU_TIMING },
    compute: false,
    vertex: false,
    logging: false,
    boot: { images: { [IMAGE]: ['true'] }, graceMs: 1000 },
  });
  storage = new Storage({ apiEndpoint: fake.endpoints.storage!, projectId: PROJECT });
  mkdirSync(join(project, 'infra'));
  writeFileSync(join(project, 'infra', 'tpulab.yaml'), STACK);
  await deployStack({ file: 'tpulab', cwd: project, env: { ...process.env, ...fake.env } });
  await allIdle();
}, 120_000);
afterAll(async () => {
  await fake?.close();
  home.remove();
  rmSync(project, { recursive: true, force: true });
});

// Prints the TPU env the strategy gave the host; TPU_NAME must name the standing node (`<node>-w-0` resolves).
const PROBE = [
  'echo "TPU_NAME=$TPU_NAME"',
  'getent hosts "$TPU_NAME-w-0" >/dev/null || { echo "TPU_NAME $TPU_NAME is not a node"; exit 4; }',
  'sleep "$PROBE_SLEEP"',
  'echo "probe done"',
].join('\n');

function spec(name: string, type: 'v4-32' | 'v4-8', sleepSec = 0): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name,
    strategy: 'tpu',
    container: { image: IMAGE, command: ['bash', '-c', PROBE], env: { PROBE_SLEEP: String(sleepSec) } },
    resources: {
      workers: {
        tpu: { type, runtimeVersion: type === 'v4-8' ? 'tpu-vm-tf-2.16.1-pjrt' : 'tpu-vm-tf-2.16.1-pod-se' },
      },
    },
    output: `gs://my-bucket/runs/${name}`,
    provider: { name: 'tpu-vm', project: PROJECT, zone: ZONE, slice: 'tpulab/pod' },
  };
}

const run = (input: JobSpecInput) =>
  submit(input, {
    provider: createTpuVmProvider({ env: fake.env, pollScale: 0 }),
    home: home.path,
    baseDir: project,
    env: { ...process.env, ...fake.env },
  });

async function bootRecords(name: string): Promise<BootRecord[]> {
  const [files] = await storage.bucket('my-bucket').getFiles({ prefix: `runs/${name}/attempts/1/` });
  const boots = files.filter((file) => file.name.endsWith('.boot.json'));
  const records = await Promise.all(
    boots.map(async (file) => JSON.parse((await file.download())[0].toString('utf8')) as BootRecord),
  );
  return records.sort((a, b) => (a.worker ?? -1) - (b.worker ?? -1));
}

/** The zone's TPU nodes as gcloud lists them, with their state. */
async function gcloudNodes(): Promise<string[]> {
  const config = mkdtempSync(join(tmpdir(), 'strato-gcloud-'));
  try {
    const { stdout } = await promisify(execFile)(
      'gcloud',
      ['compute', 'tpus', 'tpu-vm', 'list', `--zone=${ZONE}`, '--format=json'],
      {
        env: {
          ...process.env,
          CLOUDSDK_CONFIG: config,
          CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
          CLOUDSDK_CORE_PROJECT: PROJECT,
          CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
          CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
          CLOUDSDK_API_ENDPOINT_OVERRIDES_TPU: fake.endpoints.tpu!,
        },
        timeout: 60_000,
      },
    );
    return (JSON.parse(stdout) as { name: string; state: string }[]).map((n) => `${n.name} ${n.state}`);
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

describe('tpu-vm jobs on a stack’s standing slice (stratoJobs: true)', () => {
  it('GIVEN a standing v4-32 pod WHEN two jobs run on it THEN worker 0 runs each, hosts 1-3 idle, the slice stays', async () => {
    for (const name of ['pod-one', 'pod-two']) {
      const job = await run(spec(name, 'v4-32'));
      const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(90_000) });
      const lines = await replicaLines(job);
      expect(status.state, lines.join('\n')).toBe('SUCCEEDED');
      expect(status.replicas.map((r) => [r.name, r.state])).toEqual([
        ['tpu-host-0', 'SUCCEEDED'],
        ['tpu-host-1', 'IDLE'],
        ['tpu-host-2', 'IDLE'],
        ['tpu-host-3', 'IDLE'],
      ]);
      expect(lines).toContain('tpu-host-0: TPU_NAME=tpulab-pod');
      expect(lines).toContain('tpu-host-0: probe done');
      expect((await bootRecords(name)).map((b) => [b.worker, b.replica])).toEqual([
        [0, 'tpu-host-0'],
        [1, undefined],
        [2, undefined],
        [3, undefined],
      ]);
      await allIdle();
    }
    expect(await gcloudNodes()).toEqual([`${NODE} READY`]);
  }, 240_000);

  it('GIVEN a job running on the slice THEN another is refused as busy, a v4-8 job as the wrong type; cancel stops it', async () => {
    const job = await run(spec('pod-long', 'v4-32', 120));
    await waitFor(
      async () => (await replicaLines(job)).includes('tpu-host-0: TPU_NAME=tpulab-pod'),
      'the program running on worker 0',
      60_000,
    );
    // The hand-over is not drift of the stack: a plan now changes nothing (a deploy would keep the job).
    const { plan } = await planStack({ file: 'tpulab', cwd: project, env: { ...process.env, ...fake.env } });
    expect(plan.hasChanges, JSON.stringify(plan.actions.map((a) => [a.id, a.action, a.changes]))).toBe(false);
    const busy = await run(spec('pod-busy', 'v4-32')).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(StratoError);
    expect((busy as StratoError).code).toBe('E_CONFLICT');
    expect((busy as StratoError).message).toContain(`busy with job ${job.id}`);
    const wrong = await run(spec('pod-wrong', 'v4-8')).catch((error: unknown) => error);
    expect((wrong as StratoError).code).toBe('E_UNSUPPORTED');
    expect((wrong as StratoError).message).toContain('is a v4-32 slice; the job asks for v4-8');

    await job.cancel();
    expect((await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(60_000) })).state).toBe(
      'CANCELLED',
    );
    const exit = storage.bucket('my-bucket').file('runs/pod-long/attempts/1/tpu-host-0.exit.json');
    await waitFor(async () => (await exit.exists())[0], 'the exit record of the stopped program', 30_000);
    expect(JSON.parse((await exit.download())[0].toString('utf8')).exitCode).toBe(143);
    await allIdle();
    expect(await gcloudNodes()).toEqual([`${NODE} READY`]);
  }, 180_000);
});
