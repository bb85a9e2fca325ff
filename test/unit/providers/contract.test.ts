/**
 * The contracts written on the Provider interface (src/providers/types.ts),
 * checked once for every provider from this table. A provider joins by
 * adding a row: how to build it, a spec that runs a shell command on it, a
 * handle to a job it has never heard of, and how it names replicas in logs.
 */

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deployAwsStack } from '../../../src/infra/aws/index.ts';
import { submit } from '../../../src/jobs/submit.ts';
import { createEc2Provider } from '../../../src/providers/ec2/index.ts';
import { createGceProvider } from '../../../src/providers/gce/index.ts';
import { createLocalProvider } from '../../../src/providers/local/index.ts';
import { createTpuVmProvider } from '../../../src/providers/tpu-vm/index.ts';
import { isTerminalState, type JobHandle, type Provider } from '../../../src/providers/types.ts';
import { createVertexProvider } from '../../../src/providers/vertex/index.ts';
import type { JobSpecInput } from '../../../src/spec/schema.ts';
import { startFakeCloud } from '../../../src/testing/fake-cloud.ts';
import { Ec2Guests, VmFleet } from '../../../src/testing/fake-vm/index.ts';
import { FAST_TPU_TIMING } from '../../support/fake-tpu.ts';
import { shellSpec, tempDir } from '../../support/local.ts';
import { createDefaultNetwork, simulateTpuNodes, simulateVms } from '../../support/machine-sim.ts';
import { type Moto, startMoto } from '../../support/moto.ts';
import { vertexSpec } from '../../support/specs.ts';

interface ProviderRow {
  name: string;
  /** `env`: the environment `submit` runs in (where the run dir's store is), when not this process's. */
  create(): Promise<{ provider: Provider; close(): Promise<void>; env?: NodeJS.ProcessEnv }>;
  /** A spec for this provider whose every replica runs `sh -c script`. */
  spec(script: string): JobSpecInput;
  unknownHandle(home: string): JobHandle;
  /** The one replica of `spec(script)`, as the provider names it in log lines. */
  replicaName: string;
  /** `cancel` resolves once the job has ended (local), or once the cloud has accepted it (Vertex). */
  cancelWaitsForEnd: boolean;
}

let vertexJobs = 0;
let gceJobs = 0;
let tpuJobs = 0;
let ec2Jobs = 0;

const EC2_IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/trainers/contract:1';
/**
 * The ec2 row's world, made once for its rows' tests (a moto and a deployed training stack take
 * seconds): moto_server, the stack from infra/aws/app.ts, and a fleet that boots moto's instances
 * with their real user data (src/testing/fake-vm/ec2-guests.ts).
 */
let ec2World: Promise<{ moto: Moto; bucket: string; close(): Promise<void> }> | undefined;
function ec2WorldOnce() {
  ec2World ??= (async () => {
    const moto = await startMoto();
    const deployed = await deployAwsStack({
      app: join(import.meta.dirname, '../../../infra/aws/app.ts'),
      context: { stackName: 'strato-contract', region: 'us-east-1', instanceCount: 0 },
      env: { ...process.env, ...moto.env },
      stateDir: mkdtempSync(join(tmpdir(), 'strato-contract-aws-')),
      validate: false,
      pollIntervalMs: 100,
    });
    const fleet = new VmFleet({
      env: { ...moto.env, STRATO_LOG_EVERY_SEC: '1' },
      images: { [EC2_IMAGE]: ['true'] },
      graceMs: 1000,
    });
    const guests = new Ec2Guests(fleet, { endpoint: moto.endpoint });
    return {
      moto,
      bucket: deployed.outputs.BucketName!,
      close: async () => {
        await guests.close();
        await fleet.close();
        await moto.stop();
      },
    };
  })();
  return ec2World;
}
afterAll(async () => {
  if (ec2World) await (await ec2World).close();
});
let ec2Bucket = '';

const ROWS: ProviderRow[] = [
  {
    name: 'local',
    create: async () => ({
      provider: createLocalProvider({ graceMs: 1000, pollIntervalMs: 50 }),
      close: async () => {},
    }),
    spec: (script) => shellSpec(script, { strategy: 'one-device', resources: {} }),
    unknownHandle: (home) => ({
      provider: 'local',
      id: 'ghost-000000',
      data: { jobDir: `${home}/jobs/ghost-000000` },
    }),
    replicaName: 'worker-0',
    cancelWaitsForEnd: true,
  },
  {
    // The fake Vertex on loopback, reached as a user reaches it (STRATO_VERTEX_ENDPOINT); it runs each
    // replica as a local process and sends its lines to the fake Cloud Logging (STRATO_LOGGING_ENDPOINT).
    name: 'vertex',
    create: async () => {
      const fake = await startFakeCloud({
        // Submit claims each job's run dir in its bucket (run-dir-claim.ts): the fake Cloud Storage holds it.
        storage: { buckets: [{ name: 'my-bucket' }] },
        vertex: { timing: { queuedMs: 30, pendingMs: 30, stopGraceMs: 500 } },
        tpu: false,
        compute: false,
      });
      const provider = createVertexProvider({
        env: fake.env,
        pollScale: 0,
        retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10 },
      });
      return {
        provider,
        env: { ...process.env, STORAGE_EMULATOR_HOST: fake.endpoints.storage! },
        close: () => fake.close(),
      };
    },
    spec: (script) =>
      vertexSpec({
        container: { image: 'us-docker.pkg.dev/p/r/t:1', command: ['sh', '-c', script] },
        resources: { workers: { machineType: 'n1-standard-4' } },
        // One run dir per job: a second job is never let into another's.
        output: `gs://my-bucket/runs/contract-${++vertexJobs}`,
      }),
    unknownHandle: () => ({ provider: 'vertex', id: 'ghost-000000', data: {} }),
    replicaName: 'workerpool0-0',
    cancelWaitsForEnd: false,
  },
  {
    // The fake Compute Engine and Cloud Storage; its RUNNING VMs run their replica as the startup script
    // would (test/support/machine-sim.ts), writing logs and exit records into the bucket.
    name: 'gce',
    create: async () => {
      const fake = await startFakeCloud({
        storage: { buckets: [{ name: 'my-bucket' }] },
        compute: {},
        vertex: false,
        tpu: false,
        logging: false,
      });
      await createDefaultNetwork(fake.env);
      const stopVms = simulateVms(fake.compute!);
      const provider = createGceProvider({
        env: fake.env,
        pollScale: 0,
        startupScript: '#!/bin/sh\n# stand-in: test/support/machine-sim.ts plays the VM\n',
        retry: { maxAttempts: 3, initialDelayMs: 5, maxDelayMs: 10 },
      });
      return {
        provider,
        env: { ...process.env, ...fake.env },
        close: async () => {
          await stopVms();
          await fake.close();
        },
      };
    },
    spec: (script) => ({
      apiVersion: 'strato.dev/v1',
      kind: 'Job',
      name: 'contract',
      strategy: 'one-device',
      container: { image: 'us-docker.pkg.dev/p/r/t:1', command: ['sh', '-c', script] },
      resources: { workers: { machineType: 'n1-standard-4' } },
      output: `gs://my-bucket/runs/gce-contract-${++gceJobs}`,
      provider: { name: 'gce', project: 'my-project', zone: 'us-central1-a' },
    }),
    unknownHandle: () => ({ provider: 'gce', id: 'ghost-000000', data: {} }),
    replicaName: 'worker-0',
    cancelWaitsForEnd: true,
  },
  {
    // The fake Cloud TPU and Cloud Storage; the hosts of each READY node run their replica as the startup
    // script would (test/support/machine-sim.ts).
    name: 'tpu-vm',
    create: async () => {
      const fake = await startFakeCloud({
        storage: { buckets: [{ name: 'my-bucket' }] },
        tpu: { timing: FAST_TPU_TIMING },
        compute: false,
        vertex: false,
        logging: false,
      });
      const stopHosts = simulateTpuNodes(fake.tpu!, ['projects/my-project/locations/us-central2-b']);
      const provider = createTpuVmProvider({
        env: fake.env,
        pollScale: 0,
        startupScript: '#!/bin/sh\n# stand-in: test/support/machine-sim.ts plays the TPU hosts\n',
      });
      return {
        provider,
        env: { ...process.env, ...fake.env },
        close: async () => {
          await stopHosts();
          await fake.close();
        },
      };
    },
    spec: (script) => ({
      apiVersion: 'strato.dev/v1',
      kind: 'Job',
      name: 'contract',
      strategy: 'tpu',
      container: { image: 'us-docker.pkg.dev/p/r/t:1', command: ['sh', '-c', script] },
      resources: { workers: { tpu: { type: 'v4-8', runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt' } } },
      output: `gs://my-bucket/runs/tpu-contract-${++tpuJobs}`,
      provider: { name: 'tpu-vm', project: 'my-project', zone: 'us-central2-b' },
    }),
    unknownHandle: () => ({ provider: 'tpu-vm', id: 'ghost-000000', data: {} }),
    replicaName: 'tpu-host-0',
    cancelWaitsForEnd: true,
  },
  {
    // moto (AWS's own fake) with the training stack deployed; its instances boot in a fake fleet that
    // runs their real user data (fake IMDSv2, docker shim, `aws s3 cp` to moto's S3).
    name: 'ec2',
    create: async () => {
      const world = await ec2WorldOnce();
      ec2Bucket = world.bucket;
      const env = { ...process.env, ...world.moto.env, STRATO_EC2_PORTS: 'distinct' };
      return { provider: createEc2Provider({ env, pollScale: 0 }), env, close: async () => {} };
    },
    spec: (script) => ({
      apiVersion: 'strato.dev/v1',
      kind: 'Job',
      name: 'contract',
      strategy: 'one-device',
      container: { image: EC2_IMAGE, command: ['sh', '-c', script] },
      resources: { workers: { machineType: 'g5.xlarge' } },
      output: `s3://${ec2Bucket}/runs/ec2-contract-${++ec2Jobs}`,
      provider: { name: 'ec2', stack: 'strato-contract', region: 'us-east-1' },
    }),
    unknownHandle: () => ({ provider: 'ec2', id: 'ghost-000000', data: {} }),
    replicaName: 'worker-0',
    cancelWaitsForEnd: true,
  },
];

const home = tempDir('strato-contract-');
afterAll(() => home.remove());
const fast = { pollIntervalMs: 50 };

// Machines that really boot (the ec2 row) take tens of seconds a job on a busy machine.
describe.each(ROWS)('provider contract: $name', { timeout: 180_000 }, (row) => {
  const run = async (script: string) => {
    const { provider, close, env } = await row.create();
    // The spec is made after create: the ec2 row's bucket is known only then.
    const started = Date.now();
    const job = await submit(row.spec(script), { provider, home: home.path, ...(env ? { env } : {}) });
    return { provider, close, job, submitMs: Date.now() - started };
  };

  it('submit returns before the job runs', async () => {
    // The bound leaves room for a cloud SDK's first load on a busy machine; the job runs for 30 s.
    const { job, close, submitMs } = await run('sleep 30');
    try {
      expect(submitMs).toBeLessThan(20_000);
      expect(isTerminalState((await job.status()).state)).toBe(false);
    } finally {
      await job.cancel();
      await close();
    }
  });

  it('status of a job it never heard of is E_NOT_FOUND', async () => {
    const { provider, close } = await row.create();
    await expect(provider.status(row.unknownHandle(home.path))).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
    await close();
  });

  it('status is read-only: asking again and again changes neither the handle nor the attempt', async () => {
    const { job, provider, close } = await run('sleep 5');
    try {
      const handle = structuredClone(job.record.handle);
      for (let i = 0; i < 5; i++) expect((await provider.status(handle)).attempt).toBe(1);
      expect(handle).toEqual(job.record.handle);
      // Starting an attempt that has already started starts nothing.
      const same = await provider.startAttempt(handle, 1, 'already running');
      expect((await provider.status(same)).attempt).toBe(1);
    } finally {
      await job.cancel();
      await close();
    }
  });

  it('reports how an attempt ended as facts: 0 succeeded, 3 failed, 143 a preemption', async () => {
    const { provider, close, env } = await row.create();
    const ended = async (script: string) => {
      const job = await submit(row.spec(script), { provider, home: home.path, ...(env ? { env } : {}) });
      await job.wait(fast);
      return provider.status(job.record.handle);
    };
    try {
      const [ok, failed, preempted] = await Promise.all([ended('true'), ended('exit 3'), ended('exit 143')]);
      expect(ok).toMatchObject({ state: 'SUCCEEDED', outcome: { kind: 'succeeded' } });
      expect(failed).toMatchObject({ state: 'FAILED', outcome: { kind: 'failed', preempted: false } });
      expect(preempted).toMatchObject({ state: 'FAILED', outcome: { kind: 'failed', preempted: true } });
      expect(preempted.outcome).toMatchObject({ cause: expect.stringContaining('143') });
    } finally {
      await close();
    }
  });

  it('cancel ends a running job as CANCELLED; cancelling again, or a finished job, is a quiet no-op', async () => {
    const { job, provider, close } = await run('sleep 30');
    const cancelled = await job.cancel();
    if (row.cancelWaitsForEnd) expect(cancelled.state).toBe('CANCELLED');
    expect((await job.wait(fast)).state).toBe('CANCELLED');
    await expect(provider.cancel(job.record.handle)).resolves.toBeUndefined();
    expect((await job.status()).state).toBe('CANCELLED');

    const done = await run('true');
    expect((await done.job.wait(fast)).state).toBe('SUCCEEDED');
    await expect(done.provider.cancel(done.job.record.handle)).resolves.toBeUndefined();
    expect((await done.job.status()).state).toBe('SUCCEEDED');
    await close();
    await done.close();
  });

  it('logs yields what replicas printed; followed, it ends when the job ends', async () => {
    const { job, close } = await run('echo one; sleep 0.5; echo two');
    const lines: string[] = [];
    for await (const line of job.logs({ follow: true, pollIntervalMs: 50 }))
      lines.push(`${line.replica}: ${line.text}`);
    expect(lines).toEqual([`${row.replicaName}: one`, `${row.replicaName}: two`]);
    expect(isTerminalState((await job.status()).state)).toBe(true);
    await close();
  });
});
