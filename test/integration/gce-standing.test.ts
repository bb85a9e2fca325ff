/**
 * `gce` jobs on standing VMs, end to end with nothing played by the test: the
 * infra engine deploys a stack whose GpuVms carry Strato's agent
 * (`stratoJobs: true`) on the fake Compute Engine; its VMs really boot
 * (src/testing/fake-vm) and their startup script (src/agent/startup-script.sh)
 * waits for work by long-polling its metadata server. Jobs with
 * `provider.vms` hand their replicas over by `setMetadata`, read state and
 * logs from the bucket as ever, and take the VMs back at the end: the VMs
 * stay, idle, and the next job runs on the same ones. Needs gcloud.
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
import { createComputeApi } from '../../src/infra/gcp/compute-api.ts';
import { submit } from '../../src/jobs/submit.ts';
import { createGceProvider } from '../../src/providers/gce/index.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { replicaLines, tempDir, waitFor } from '../support/local.ts';
import { createDefaultNetwork } from '../support/machine-sim.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');

const PROJECT = 'my-project';
const ZONE = 'us-central1-a';
const IMAGE = 'us-docker.pkg.dev/my-project/trainers/probe:1';
const STACK = [
  'kind: Stack',
  'name: lab',
  `project: ${PROJECT}`,
  `zone: ${ZONE}`,
  'resources:',
  '  GpuVms:',
  '    gpus: { count: 2, machineType: g2-standard-8, stratoJobs: true }',
  '    plain: { count: 1, machineType: g2-standard-8 }',
  '    spot: { count: 2, machineType: g2-standard-8, spot: true, stratoJobs: true }',
].join('\n');
const VMS = ['lab-gpus-gpus-0', 'lab-gpus-gpus-1'];
const SPOT_VMS = ['lab-spot-spot-0', 'lab-spot-spot-1'];

let fake: FakeCloud;
let storage: Storage;
const home = tempDir('strato-gce-standing-');
const project = mkdtempSync(join(tmpdir(), 'strato-gce-standing-project-'));

beforeAll(async () => {
  fake = await startFakeCloud({
    storage: { buckets: [{ name: 'my-bucket' }] },
    compute: {},
    vertex: false,
    tpu: false,
    logging: false,
    boot: { images: { [IMAGE]: ['true'] }, graceMs: 1000 },
  });
  storage = new Storage({ apiEndpoint: fake.endpoints.storage!, projectId: PROJECT });
  await createDefaultNetwork(fake.env);
  mkdirSync(join(project, 'infra'));
  writeFileSync(join(project, 'infra', 'lab.yaml'), STACK);
  await deployStack({ file: 'lab', cwd: project, env: { ...process.env, ...fake.env } });
  // The agents are up: each VM's script set its guest state (idle) before any job.
  for (const vm of [...VMS, ...SPOT_VMS])
    await waitFor(async () => (await guestState(vm)) === 'idle', `${vm} idle`, 30_000);
}, 120_000);
afterAll(async () => {
  await fake?.close();
  home.remove();
  rmSync(project, { recursive: true, force: true });
});

async function guestState(vm: string): Promise<string | undefined> {
  const compute = await createComputeApi({ env: fake.env });
  try {
    const [answer] = await compute.instances.getGuestAttributes({
      project: PROJECT,
      zone: ZONE,
      instance: vm,
      variableKey: 'strato/state',
    });
    return answer.variableValue ?? undefined;
  } catch {
    return undefined;
  } finally {
    await compute.close();
  }
}

/** The zone's VMs as gcloud lists them, with their status. */
async function gcloudVms(): Promise<Record<string, string>> {
  const config = mkdtempSync(join(tmpdir(), 'strato-gcloud-'));
  try {
    const { stdout } = await promisify(execFile)(
      'gcloud',
      ['compute', 'instances', 'list', `--zones=${ZONE}`, '--format=json'],
      {
        env: {
          ...process.env,
          CLOUDSDK_CONFIG: config,
          CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
          CLOUDSDK_CORE_PROJECT: PROJECT,
          CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
          CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
          CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: fake.endpoints.computeRest!,
        },
        timeout: 60_000,
      },
    );
    const listed = JSON.parse(stdout) as { name: string; status: string }[];
    return Object.fromEntries(listed.map((vm) => [vm.name, vm.status]));
  } finally {
    rmSync(config, { recursive: true, force: true });
  }
}

/** The hosts that booted attempt 1 of a job (their boot records). */
async function bootHosts(name: string): Promise<string[]> {
  const [files] = await storage.bucket('my-bucket').getFiles({ prefix: `runs/${name}/attempts/1/` });
  const boots = files.filter((file) => file.name.endsWith('.boot.json'));
  const records = await Promise.all(
    boots.map(async (file) => JSON.parse((await file.download())[0].toString('utf8')) as BootRecord),
  );
  return records.map((record) => `${record.replica}@${record.host}`).sort();
}

// Each worker resolves every host of its TF_CONFIG (the standing VMs' names) and prints its task.
const PROBE = [
  "for host in $(python3 -c \"import json,os; print(' '.join(a.rsplit(':',1)[0] for a in json.loads(os.environ['TF_CONFIG'])['cluster']['worker']))\"); do",
  '  getent hosts "$host" >/dev/null || { echo "cannot resolve $host"; exit 5; }',
  'done',
  "echo \"task $(python3 -c \"import json,os; print(json.loads(os.environ['TF_CONFIG'])['task']['index'])\") resolved every peer\"",
  'sleep "$PROBE_SLEEP"',
  // With SLEEP_ON_ATTEMPT it sleeps through that attempt (read from the VM's metadata server), to be preempted.
  'if [ -n "$SLEEP_ON_ATTEMPT" ]; then',
  '  attempt="$(curl -sSf -H "Metadata-Flavor: Google" "http://$GCE_METADATA_HOST/computeMetadata/v1/instance/attributes/strato-attempt")"',
  '  echo "attempt $attempt"',
  '  if [ "$attempt" = "$SLEEP_ON_ATTEMPT" ]; then sleep 60; fi',
  'fi',
].join('\n');

function spec(name: string, vms: string, env: Record<string, string> = {}): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name,
    strategy: 'multi-worker-mirrored',
    container: { image: IMAGE, command: ['bash', '-c', PROBE], env: { PROBE_SLEEP: '0', ...env } },
    resources: { workers: { replicas: 2, machineType: 'g2-standard-8' } },
    output: `gs://my-bucket/runs/${name}`,
    provider: { name: 'gce', project: PROJECT, zone: ZONE, vms },
  };
}

const run = (input: JobSpecInput) =>
  submit(input, {
    provider: createGceProvider({ env: fake.env, pollScale: 0 }),
    home: home.path,
    baseDir: project,
    env: { ...process.env, ...fake.env },
  });

const allIdle = async (vms = VMS) => {
  for (const vm of vms) await waitFor(async () => (await guestState(vm)) === 'idle', `${vm} idle`, 30_000);
};

describe('gce jobs on a stack’s standing VMs (stratoJobs: true)', () => {
  it('GIVEN 2 standing VMs WHEN two jobs run one after the other THEN both succeed on the same VMs, which stay', async () => {
    for (const name of ['standing-one', 'standing-two']) {
      const job = await run(spec(name, 'lab/gpus'));
      const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(90_000) });
      const lines = await replicaLines(job);
      expect(status.state, lines.join('\n')).toBe('SUCCEEDED');
      expect(lines).toContain('worker-0: task 0 resolved every peer');
      expect(lines).toContain('worker-1: task 1 resolved every peer');
      expect(await bootHosts(name)).toEqual([`worker-0@${VMS[0]}`, `worker-1@${VMS[1]}`]);
      await allIdle();
    }
    const listed = await gcloudVms();
    expect(listed).toMatchObject({ [VMS[0]!]: 'RUNNING', [VMS[1]!]: 'RUNNING' });
    expect(Object.keys(listed).filter((name) => name.startsWith('strato-'))).toEqual([]);
  }, 240_000);

  it('GIVEN a running job WHEN it is cancelled THEN its program stops, CANCELLED, and the VMs take the next job', async () => {
    const job = await run(spec('standing-cancel', 'lab/gpus', { PROBE_SLEEP: '120' }));
    await waitFor(
      async () => (await replicaLines(job)).includes('worker-1: task 1 resolved every peer'),
      'the program running on both VMs',
      60_000,
    );
    // The hand-over is not drift of the stack: a plan now changes nothing (a deploy would keep the job).
    const { plan } = await planStack({ file: 'lab', cwd: project, env: { ...process.env, ...fake.env } });
    expect(plan.hasChanges, JSON.stringify(plan.actions.map((a) => [a.id, a.action, a.changes]))).toBe(false);
    const busy = await run(spec('standing-busy', 'lab/gpus')).catch((error: unknown) => error);
    expect(busy).toBeInstanceOf(StratoError);
    expect((busy as StratoError).code).toBe('E_CONFLICT');
    expect((busy as StratoError).message).toContain(`busy with job ${job.id}`);

    await job.cancel();
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(60_000) });
    expect(status.state).toBe('CANCELLED');
    // The agent saw its work keys go, stopped the program (SIGTERM: 143 in its exit record) and waits again.
    const exit = storage.bucket('my-bucket').file('runs/standing-cancel/attempts/1/worker-0.exit.json');
    await waitFor(async () => (await exit.exists())[0], 'the exit record of the stopped program', 30_000);
    expect(JSON.parse((await exit.download())[0].toString('utf8')).exitCode).toBe(143);
    await allIdle();

    const next = await run(spec('standing-after-cancel', 'lab/gpus'));
    const after = await next.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(90_000) });
    expect(after.state, (await replicaLines(next)).join('\n')).toBe('SUCCEEDED');
    expect(await gcloudVms()).toMatchObject({ [VMS[0]!]: 'RUNNING', [VMS[1]!]: 'RUNNING' });
  }, 240_000);

  it('GIVEN VMs deployed without stratoJobs THEN the job is refused with the fix, and nothing is handed over', async () => {
    const refused = await run({
      ...spec('standing-plain', 'lab/plain'),
      resources: { workers: { replicas: 1, machineType: 'g2-standard-8' } },
      strategy: 'one-device',
    }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(StratoError);
    expect((refused as StratoError).code).toBe('E_UNSUPPORTED');
    expect((refused as StratoError).hint).toBe(
      'set stratoJobs: true on GpuVms plain in stack lab and run strato infra deploy',
    );
    const missing = await run(spec('standing-missing', 'lab/nothing')).catch((error: unknown) => error);
    expect((missing as StratoError).code).toBe('E_NOT_FOUND');
    expect((missing as StratoError).hint).toContain('lab/gpus');
  }, 60_000);

  it('GIVEN standing spot VMs WHEN one is preempted mid-run THEN it is started again and attempt 2 SUCCEEDS on the same VMs', async () => {
    const job = await run({
      ...spec('standing-preempt', 'lab/spot', { SLEEP_ON_ATTEMPT: '1' }),
      scheduling: { spot: true, maxRestarts: 1 },
    });
    await waitFor(
      async () => (await replicaLines(job)).includes('worker-0: attempt 1'),
      'attempt 1 running on the spot VMs',
      60_000,
    );
    fake.compute!.preempt(PROJECT, ZONE, SPOT_VMS[0]!);
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(120_000) });
    const lines = await replicaLines(job);
    expect(status.state, lines.join('\n')).toBe('SUCCEEDED');
    expect(status.restarts.map((r) => r.attempt)).toEqual([2]);
    expect(lines).toContain('worker-0: attempt 2');
    expect(lines).toContain('worker-1: attempt 2');
    await allIdle(SPOT_VMS);
    expect(await gcloudVms()).toMatchObject({ [SPOT_VMS[0]!]: 'RUNNING', [SPOT_VMS[1]!]: 'RUNNING' });
  }, 240_000);
});
