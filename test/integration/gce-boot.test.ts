/**
 * The whole machine path with nothing played by the test: the gce provider
 * creates VMs through the real Compute client, the fake Compute boots them
 * (src/testing/fake-vm), each runs the real startup script
 * (src/agent/startup-script.sh) — metadata server, the docker
 * shim, uploads to the fake Cloud Storage — and the provider reads the job's
 * state and logs back from the bucket. The VMs resolve each other's names,
 * as TF_CONFIG gives them. After every ending — success, failure, cancel,
 * `strato run` killed, the job's controller killed — gcloud lists no VM of
 * the job and no VM process is left. Needs gcloud (test/README.md).
 */

import { execFile, spawn } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { createComputeApi } from '../../src/infra/gcp/compute-api.ts';
import { findControllerRecord } from '../../src/jobs/controller.ts';
import { submit } from '../../src/jobs/submit.ts';
import { createGceProvider } from '../../src/providers/gce/index.ts';
import { isProcessAlive } from '../../src/providers/local/proc.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { gcloudMachinesOf } from '../support/gcloud-machines.ts';
import { REPO_ROOT, replicaLines, tempDir, waitFor } from '../support/local.ts';
import { createDefaultNetwork } from '../support/machine-sim.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');
const execFileAsync = promisify(execFile);

const IMAGE = 'us-docker.pkg.dev/my-project/trainers/probe:1';
let fake: FakeCloud;
const home = tempDir('strato-gce-boot-');

beforeAll(async () => {
  fake = await startFakeCloud({
    storage: { buckets: [{ name: 'my-bucket' }] },
    compute: {},
    vertex: false,
    tpu: false,
    logging: false,
    // The image's entrypoint is replaced by the job's command; the shim only needs to know the image.
    boot: { images: { [IMAGE]: ['true'] }, graceMs: 1000 },
  });
  await createDefaultNetwork(fake.env);
});
afterAll(async () => {
  await fake?.close();
  home.remove();
});

/** The VMs of the zone, as the real client lists them: quick enough to wait on. */
async function vmNames(): Promise<string[]> {
  const compute = await createComputeApi({ env: fake.env });
  try {
    const [vms] = await compute.instances.list({ project: 'my-project', zone: 'us-central1-a' });
    return vms.map((vm) => vm.name ?? '');
  } finally {
    await compute.close();
  }
}
/** The job's VMs as gcloud lists them: the check after every ending (one gcloud run, 1–2 s). */
const gcloudVmsOf = async (jobId: string) =>
  (await gcloudMachinesOf(fake, jobId, { project: 'my-project', zone: 'us-central1-a' })).map(
    (vm) => vm.name,
  );
/**
 * After a job ended through job.wait(): the deletes of the other releaser (the controller) may still
 * be in flight when this process's look returns, so wait until the client lists none, then gcloud.
 */
async function expectNoVmOf(jobId: string): Promise<void> {
  const mine = async () => (await vmNames()).filter((name) => name.startsWith(`strato-${jobId}-`));
  await waitFor(async () => (await mine()).length === 0, `the VMs of ${jobId} deleted`, 30_000);
  expect(await gcloudVmsOf(jobId)).toEqual([]);
}

// Each worker resolves every host of its TF_CONFIG, prints its task, and worker-1 fails on request.
const PROBE = [
  "for host in $(python3 -c \"import json,os; print(' '.join(a.rsplit(':',1)[0] for a in json.loads(os.environ['TF_CONFIG'])['cluster']['worker']))\"); do",
  '  getent hosts "$host" >/dev/null || { echo "cannot resolve $host"; exit 5; }',
  'done',
  "echo \"task $(python3 -c \"import json,os; print(json.loads(os.environ['TF_CONFIG'])['task']['index'])\") resolved every peer\"",
  'exit "$PROBE_EXIT"',
].join('\n');

function spec(name: string, env: Record<string, string> = {}): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name,
    strategy: 'multi-worker-mirrored',
    container: { image: IMAGE, command: ['bash', '-c', PROBE], env: { PROBE_EXIT: '0', ...env } },
    resources: { workers: { replicas: 2, machineType: 'n1-standard-4' } },
    output: `gs://my-bucket/runs/${name}`,
    provider: { name: 'gce', project: 'my-project', zone: 'us-central1-a' },
  };
}

const provider = () => createGceProvider({ env: fake.env, pollScale: 0 });
const run = (input: JobSpecInput) =>
  submit(input, { provider: provider(), home: home.path, env: { ...process.env, ...fake.env } });

describe('gce jobs on VMs that really boot', () => {
  it('GIVEN 2 VMs THEN the startup script runs each replica, the peers resolve, logs come back, nothing is left', async () => {
    const job = await run(spec('boot-ok'));
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(90_000) });
    const lines = await replicaLines(job);
    expect(status.state, lines.join('\n')).toBe('SUCCEEDED');
    expect(lines).toContain('worker-0: task 0 resolved every peer');
    expect(lines).toContain('worker-1: task 1 resolved every peer');
    await expectNoVmOf(job.id);
    expect(fake.fleet!.running()).toEqual([]);
  }, 120_000);

  it('GIVEN a replica exiting 3 THEN FAILED with its exit code and last lines from exit.json, nothing left', async () => {
    const job = await run(spec('boot-fail', { PROBE_EXIT: '3' }));
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(90_000) });
    expect(status).toMatchObject({ state: 'FAILED', error: { exitCode: 3 } });
    expect(status.error?.lastLines?.join('\n')).toMatch(/resolved every peer/);
    await expectNoVmOf(job.id);
  }, 120_000);

  it('GIVEN a running job WHEN it is cancelled THEN CANCELLED, and gcloud lists none of its VMs', async () => {
    const input = spec('boot-cancel');
    input.container.command = ['sleep', '300'];
    const job = await run(input);
    await waitFor(
      async () => fake.fleet!.running().length === 2 && (await job.status()).state === 'RUNNING',
      'the job running on both VMs',
      60_000,
    );
    // While it runs gcloud sees both VMs: the check after the cancel looks where they are.
    expect((await gcloudVmsOf(job.id)).sort()).toEqual([
      `strato-${job.id}-a1-worker-0`,
      `strato-${job.id}-a1-worker-1`,
    ]);
    expect((await job.cancel()).state).toBe('CANCELLED');
    expect(await gcloudVmsOf(job.id)).toEqual([]);
    await waitFor(() => fake.fleet!.running().length === 0, 'every VM process gone', 30_000);
  }, 120_000);

  it('GIVEN the job controller killed with SIGKILL mid-job WHEN the job ends THEN `strato status` releases its VMs', async () => {
    const go = join(home.path, 'orphaned-go');
    const input = spec('boot-orphaned');
    // The program runs until the test lets it end, after the controller is gone.
    input.container.command = ['bash', '-c', 'until [ -e "$GO" ]; do sleep 0.2; done; echo let go'];
    input.container.env = { GO: go };
    const job = await run(input);
    await waitFor(
      () => fake.fleet!.running().length === 2 && findControllerRecord(job.record.jobDir)?.pid !== undefined,
      'the job running on both VMs, and its controller',
      60_000,
    );
    const controller = findControllerRecord(job.record.jobDir)!;
    process.kill(controller.pid!, 'SIGKILL');
    await waitFor(
      () => !isProcessAlive(controller.pid!, controller.startTicks),
      'the controller gone',
      10_000,
    );
    writeFileSync(go, '');
    // The job ends with no controller: a bare provider read (no lifecycle) sees it, and the VMs are still there.
    const bare = provider();
    await waitFor(
      async () => (await bare.status(job.record.handle)).state === 'SUCCEEDED',
      'the job ended',
      60_000,
    );
    expect((await vmNames()).filter((name) => name.startsWith(`strato-${job.id}-`))).toHaveLength(2);
    // The next reader is in charge (its controller is dead): it reconciles and releases the machines.
    const { stdout } = await execFileAsync(
      process.execPath,
      [join(REPO_ROOT, 'bin/strato.js'), 'status', job.id],
      { env: { ...process.env, ...fake.env, STRATO_HOME: home.path }, timeout: 60_000 },
    );
    expect(stdout).toMatch(/SUCCEEDED/);
    expect(await gcloudVmsOf(job.id)).toEqual([]);
    await waitFor(() => fake.fleet!.running().length === 0, 'every VM process gone', 30_000);
  }, 150_000);

  it('GIVEN `strato run` killed with SIGKILL mid-job THEN its controller cancels the job and deletes every VM', async () => {
    const file = join(home.path, 'killed.yaml');
    const input = spec('boot-killed');
    input.container.command = ['sleep', '300'];
    writeFileSync(file, stringify(input));
    const cli = spawn(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), 'run', file], {
      env: { ...process.env, ...fake.env, STRATO_HOME: home.path },
      stdio: 'ignore',
    });
    let jobId: string | undefined;
    try {
      // Mid-job: the record and its controller exist (submit has returned) and both VMs run the program.
      const started = () => {
        const jobs = existsSync(join(home.path, 'jobs')) ? readdirSync(join(home.path, 'jobs')) : [];
        jobId = jobs.find((id) => id.startsWith('boot-killed'));
        const dir = jobId === undefined ? undefined : join(home.path, 'jobs', jobId);
        return (
          dir !== undefined &&
          existsSync(join(dir, 'job.json')) &&
          existsSync(join(dir, 'controller.json')) &&
          fake.fleet!.running().length === 2
        );
      };
      await waitFor(started, 'the job running on both VMs', 60_000);
    } finally {
      cli.kill('SIGKILL');
    }
    // The controller sees its owner gone, cancels, and the lifecycle releases the machines.
    const left = async () => (await vmNames()).filter((name) => name.includes('boot-killed')).length;
    await waitFor(
      async () => (await left()) === 0 && fake.fleet!.running().length === 0,
      'every VM gone',
      60_000,
    );
    expect(await gcloudVmsOf(jobId!)).toEqual([]);
  }, 150_000);

  it('GIVEN `strato run` killed with SIGKILL while it creates the VMs THEN the controller deletes them and the job leaves no trace', async () => {
    const file = join(home.path, 'killed-launching.yaml');
    const input = spec('boot-launching');
    input.container.command = ['sleep', '300'];
    writeFileSync(file, stringify(input));
    // The second VM's insert is carried out late (a slow service): the kill lands between the two.
    const deletes = () => fake.compute!.calls.get('DELETE zones/*/instances/*') ?? 0;
    const deletesBefore = deletes();
    fake.compute!.faults.add({
      method: 'POST',
      path: /\/instances(\?|$)/,
      nth: 2,
      fault: { delayMs: 2_500 },
    });
    const jobDirs = () =>
      existsSync(join(home.path, 'jobs'))
        ? readdirSync(join(home.path, 'jobs')).filter((id) => id.startsWith('boot-launching'))
        : [];
    const cli = spawn(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), 'run', file], {
      env: { ...process.env, ...fake.env, STRATO_HOME: home.path },
      stdio: 'ignore',
    });
    let controllerPid: number | undefined;
    let jobId: string | undefined;
    try {
      const launching = async () => {
        const [id] = jobDirs();
        jobId = id;
        if (id === undefined || existsSync(join(home.path, 'jobs', id, 'job.json'))) return false;
        controllerPid = findControllerRecord(join(home.path, 'jobs', id))?.pid;
        return (await vmNames()).some((name) => name.includes('boot-launching'));
      };
      await waitFor(launching, 'the first VM created and no job record yet', 60_000);
      expect(controllerPid).toBeDefined();
    } finally {
      cli.kill('SIGKILL');
    }
    // Both VMs (the late one too) are deleted, the folder is gone, and so is the controller.
    await waitFor(
      async () =>
        !(await vmNames()).some((name) => name.includes('boot-launching')) &&
        jobDirs().length === 0 &&
        !isProcessAlive(controllerPid!),
      'every VM, the job folder and the controller gone',
      60_000,
    );
    // The late VM was made after the submitter died, and the second sweep deleted it too.
    expect(deletes() - deletesBefore).toBe(2);
    await sleep(3_000);
    expect(await gcloudVmsOf(jobId!)).toEqual([]);
    expect(fake.fleet!.running()).toEqual([]);
  }, 150_000);
});
