/**
 * Fake Compute Engine VMs that really boot: `@google-cloud/compute` creates
 * an instance with Strato's startup script and a job's strato-* metadata;
 * the fake runs the script locally, whose stand-in program's output, exit
 * and state come back through the fake Cloud Storage (read with
 * `@google-cloud/storage`) and the instance's guest attributes (read with
 * the compute client and with gcloud).
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootRecord, MachineLaunch } from '../../src/agent/layout.ts';
import { type ComputeApi, createComputeApi, operationOf } from '../../src/infra/gcp/compute-api.ts';
import type { FakeCloud } from '../../src/testing/fake-cloud.ts';
import {
  BUCKET,
  jobMetadata,
  processAlive,
  processesInGroups,
  readObject,
  STAND_IN_IMAGE,
  startBootingCloud,
  waitForExit,
  waitForObject,
} from '../support/fake-vms.ts';
import { waitFor } from '../support/local.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');
const run = promisify(execFile);
const PROJECT = 'test-project';
const ZONE = 'us-central1-a';

let cloud: FakeCloud;
let storage: Storage;
let api: ComputeApi;
let scratch: string;

/** A test boots VMs as process trees on a machine whose cores it shares: a minute, not the default 30 s. */
const VM_TEST_MS = 60_000;

beforeAll(async () => {
  ({ cloud, storage } = await startBootingCloud());
  api = await createComputeApi({ endpoint: cloud.endpoints.compute! });
  const network = await api.networks.insert({
    project: PROJECT,
    networkResource: { name: 'default', autoCreateSubnetworks: true },
  });
  await api.waitFor(operationOf(network), { id: 'net', action: 'network', project: PROJECT });
  scratch = mkdtempSync(join(tmpdir(), 'strato-vm-test-'));
});

afterAll(async () => {
  await api?.close().catch(() => {});
  await cloud?.close();
  rmSync(scratch, { recursive: true, force: true });
});

function launch(replica: string, args: string[], env: Record<string, string> = {}): MachineLaunch {
  return {
    image: STAND_IN_IMAGE,
    args,
    dockerFlags: ['--gpus', 'all'],
    replicas: [
      { name: replica, runsProgram: true, env: { STRATO_REPLICA: replica, GREETING: 'hi', ...env } },
    ],
  };
}

async function createVm(
  name: string,
  metadata: Record<string, string>,
  scheduling: Record<string, unknown> = {},
): Promise<void> {
  const result = await api.instances.insert({
    project: PROJECT,
    zone: ZONE,
    instanceResource: {
      name,
      machineType: `zones/${ZONE}/machineTypes/n1-standard-4`,
      scheduling,
      disks: [
        {
          boot: true,
          initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' },
        },
      ],
      metadata: {
        items: Object.entries({ 'enable-guest-attributes': 'TRUE', ...metadata }).map(([key, value]) => ({
          key,
          value,
        })),
      },
    },
  });
  await api.waitFor(operationOf(result), { id: name, action: 'create', project: PROJECT });
}

async function instanceOp(verb: 'stop' | 'start' | 'delete', name: string): Promise<void> {
  const request = { project: PROJECT, zone: ZONE, instance: name };
  const result =
    verb === 'stop'
      ? await api.instances.stop(request)
      : verb === 'start'
        ? await api.instances.start(request)
        : await api.instances.delete(request);
  await api.waitFor(operationOf(result), { id: name, action: verb, project: PROJECT });
}

/** The VM's `strato/state`, undefined before the script set it (the service answers 404 then). */
async function guestState(name: string): Promise<string | undefined> {
  try {
    const [attributes] = await api.instances.getGuestAttributes({
      project: PROJECT,
      zone: ZONE,
      instance: name,
      queryPath: 'strato/',
    });
    return attributes.queryValue?.items?.find((item) => item.key === 'state')?.value ?? undefined;
  } catch (error) {
    const code = (error as { code?: number }).code;
    if (code === 404 || code === 5) return undefined;
    throw error;
  }
}

describe('a GCE VM boots and runs its replica', () => {
  it(
    'GIVEN a job VM WHEN it boots THEN boot.json, the log, exit.json with the exit code, and state exited',
    async () => {
      const started = Date.now();
      await createVm('job-a-1-worker-0', {
        ...jobMetadata(cloud, 'job-a', launch('worker-0', ['exit', '7'])),
        'strato-replica': 'worker-0',
      });
      const exit = await waitForExit(storage, 'job-a/attempts/1/worker-0.exit.json');
      expect(exit).toMatchObject({ replica: 'worker-0', exitCode: 7 });
      expect(exit.rebooted).toBeUndefined();
      expect(exit.lastLines).toContain('about to exit 7');
      const boot = JSON.parse(
        (await readObject(storage, 'job-a/attempts/1/job-a-1-worker-0.boot.json'))!,
      ) as BootRecord;
      expect(boot).toMatchObject({ host: 'job-a-1-worker-0', replica: 'worker-0' });
      const log = (await readObject(storage, 'job-a/attempts/1/worker-0.log'))!;
      // The launch's env and args reached the program through docker run --env-file.
      expect(log).toMatch(/replica=worker-0 greeting=hi pid=\d+ args=exit 7/);
      await waitFor(async () => (await guestState('job-a-1-worker-0')) === 'exited', 'state exited');
      // The script's own words go to the VM's serial console.
      const [serial] = await api.instances.getSerialPortOutput({
        project: PROJECT,
        zone: ZONE,
        instance: 'job-a-1-worker-0',
        port: 1,
      });
      expect(serial.contents).toContain('strato-startup: replica worker-0 exited with 7');
      console.info(`fake GCE VM: create → exit.json in ${Date.now() - started} ms`);
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN a launch with a command THEN it replaces the image entrypoint, the args following it',
    async () => {
      await createVm('job-h-1-worker-0', {
        ...jobMetadata(cloud, 'job-h', {
          ...launch('worker-0', ['one', 'two']),
          command: ['bash', '-c', 'echo "custom entrypoint: $*"; exit 4', 'bash'],
        }),
        'strato-replica': 'worker-0',
      });
      const exit = await waitForExit(storage, 'job-h/attempts/1/worker-0.exit.json');
      expect(exit.exitCode).toBe(4);
      expect(exit.lastLines).toContain('custom entrypoint: one two');
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN an image docker cannot pull THEN exit.json carries the pull failure and its words',
    async () => {
      await createVm('job-i-1-worker-0', {
        ...jobMetadata(cloud, 'job-i', {
          ...launch('worker-0', []),
          image: 'us-docker.pkg.dev/nope/missing:1',
        }),
        'strato-replica': 'worker-0',
      });
      const exit = await waitForExit(storage, 'job-i/attempts/1/worker-0.exit.json');
      expect(exit.exitCode).toBe(1);
      expect(exit.lastLines!.join('\n')).toContain('pull access denied for us-docker.pkg.dev/nope/missing');
      // The script uploads exit.json, then sets the state: the state may follow a moment later.
      await waitFor(async () => (await guestState('job-i-1-worker-0')) === 'exited', 'state exited');
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN a long-running program THEN its log object grows while it runs',
    async () => {
      await createVm('job-b-1-worker-0', {
        ...jobMetadata(cloud, 'job-b', launch('worker-0', ['tick', '16'])),
        'strato-replica': 'worker-0',
      });
      const first = await waitFor(
        async () =>
          (await readObject(storage, 'job-b/attempts/1/worker-0.log'))?.match(/^tick \d+$/gm) ?? undefined,
        'a first log upload with ticks',
      );
      expect(await guestState('job-b-1-worker-0')).toBe('running');
      const exit = await waitForExit(storage, 'job-b/attempts/1/worker-0.exit.json');
      expect(exit.exitCode).toBe(0);
      const last = (await readObject(storage, 'job-b/attempts/1/worker-0.log'))!.match(/^tick \d+$/gm)!;
      expect(first.length).toBeLessThan(16);
      expect(last).toHaveLength(16);
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN a running program WHEN the instance is deleted THEN its process is gone',
    async () => {
      const pidFile = join(scratch, 'job-c.pid');
      await createVm('job-c-1-worker-0', {
        ...jobMetadata(cloud, 'job-c', launch('worker-0', ['tick', '200'], { PID_FILE: pidFile })),
        'strato-replica': 'worker-0',
      });
      const pid = await waitFor(() => {
        try {
          return Number(readFileSync(pidFile, 'utf8').trim()) || undefined;
        } catch {
          return undefined;
        }
      }, 'the program to write its pid');
      expect(processAlive(pid)).toBe(true);
      const group = cloud.fleet!.pidOf(
        `compute/${(await api.instances.get({ project: PROJECT, zone: ZONE, instance: 'job-c-1-worker-0' }))[0].id}`,
      )!;
      await instanceOp('delete', 'job-c-1-worker-0');
      await waitFor(
        () => !processAlive(pid) && processesInGroups([group]).length === 0,
        'the VM processes to end',
      );
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN a VM that ran its program WHEN it is stopped and started THEN the program does not run again (rebooted)',
    async () => {
      const pidFile = join(scratch, 'job-d.pid');
      await createVm('job-d-1-worker-0', {
        ...jobMetadata(cloud, 'job-d', launch('worker-0', ['tick', '200'], { PID_FILE: pidFile })),
        'strato-replica': 'worker-0',
      });
      await waitFor(() => guestState('job-d-1-worker-0').then((s) => s === 'running'), 'state running');
      await waitFor(() => {
        try {
          return readFileSync(pidFile, 'utf8').trim() !== '';
        } catch {
          return false;
        }
      }, 'the program to start');
      // Its first line of work in the bucket before the stop: the pid file comes before any tick, and a
      // stop in between (seen under load) would leave no tick for the rebooted record to carry.
      await waitFor(
        async () => /^tick 1$/m.test((await readObject(storage, 'job-d/attempts/1/worker-0.log')) ?? ''),
        'a log upload with tick 1',
      );
      rmSync(pidFile);
      await instanceOp('stop', 'job-d-1-worker-0');
      // Stopped while it ran: SIGTERM reached the program (143), and the script reported that on its way down.
      const stopped = await waitForExit(storage, 'job-d/attempts/1/worker-0.exit.json');
      expect(stopped).toMatchObject({ exitCode: 143 });
      expect(stopped.rebooted).toBeUndefined();
      // As if the VM had died without a word (a host crash): no exit.json before it boots again.
      await storage.bucket(BUCKET).file('job-d/attempts/1/worker-0.exit.json').delete();
      await instanceOp('start', 'job-d-1-worker-0');
      await waitFor(() => guestState('job-d-1-worker-0').then((s) => s === 'rebooted'), 'state rebooted');
      const exit = await waitForExit(storage, 'job-d/attempts/1/worker-0.exit.json');
      expect(exit).toMatchObject({ exitCode: 143, rebooted: true });
      expect(exit.lastLines).toContain('tick 1');
      let restarted = true;
      try {
        readFileSync(pidFile);
      } catch {
        restarted = false;
      }
      expect(restarted).toBe(false);
      const boot = await waitForObject(storage, 'job-d/attempts/1/job-d-1-worker-0.boot.json');
      expect(JSON.parse(boot)).toMatchObject({ host: 'job-d-1-worker-0' });
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN two VMs THEN one VM resolves the other by its instance name (TF_CONFIG addresses)',
    async () => {
      await createVm('job-e-1-worker-1', { 'startup-script': 'sleep 60' });
      await createVm('job-e-1-worker-0', {
        ...jobMetadata(cloud, 'job-e', launch('worker-0', ['resolve', 'job-e-1-worker-1'])),
        'strato-replica': 'worker-0',
      });
      const exit = await waitForExit(storage, 'job-e/attempts/1/worker-0.exit.json');
      expect(exit.exitCode).toBe(0);
      expect(exit.lastLines!.join('\n')).toMatch(/^127\.0\.0\.1\s+job-e-1-worker-1/m);
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN the state set THEN gcloud compute instances get-guest-attributes reads it',
    async () => {
      const config = mkdtempSync(join(tmpdir(), 'strato-gcloud-'));
      try {
        const { stdout } = await run(
          'gcloud',
          [
            'compute',
            'instances',
            'get-guest-attributes',
            'job-a-1-worker-0',
            `--zone=${ZONE}`,
            '--query-path=strato/',
            '--format=json',
          ],
          {
            timeout: 60_000,
            env: {
              ...process.env,
              CLOUDSDK_CONFIG: config,
              CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
              CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: cloud.endpoints.computeRest!,
              CLOUDSDK_CORE_PROJECT: PROJECT,
              CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
              CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
            },
          },
        );
        expect(JSON.parse(stdout)).toEqual([{ namespace: 'strato', key: 'state', value: 'exited' }]);
      } finally {
        rmSync(config, { recursive: true, force: true });
      }
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN a spot VM running its program WHEN it is preempted THEN its processes end and its name no longer resolves',
    async () => {
      await createVm(
        'job-g-1-worker-0',
        { ...jobMetadata(cloud, 'job-g', launch('worker-0', ['tick', '400'])), 'strato-replica': 'worker-0' },
        { provisioningModel: 'SPOT', instanceTerminationAction: 'DELETE' },
      );
      await waitFor(() => guestState('job-g-1-worker-0').then((s) => s === 'running'), 'state running');
      const [vm] = await api.instances.get({ project: PROJECT, zone: ZONE, instance: 'job-g-1-worker-0' });
      const group = cloud.fleet!.pidOf(`compute/${vm.id}`)!;
      expect(readFileSync(cloud.fleet!.hosts.path, 'utf8')).toMatch(/ job-g-1-worker-0\b/);
      cloud.compute!.preempt(PROJECT, ZONE, 'job-g-1-worker-0');
      await waitFor(() => processesInGroups([group]).length === 0, 'the preempted VM processes to end');
      // The program got SIGTERM first (the preemption notice): the script reported 143 on its way down.
      expect((await waitForExit(storage, 'job-g/attempts/1/worker-0.exit.json')).exitCode).toBe(143);
      expect(readFileSync(cloud.fleet!.hosts.path, 'utf8')).not.toMatch(/ job-g-1-worker-0\b/);
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN VMs still running WHEN the fake cloud closes THEN no process of any VM is left',
    async () => {
      await createVm('job-f-1-worker-0', {
        ...jobMetadata(cloud, 'job-f', launch('worker-0', ['tick', '200'])),
        'strato-replica': 'worker-0',
      });
      await waitFor(() => guestState('job-f-1-worker-0').then((s) => s === 'running'), 'state running');
      const fleet = cloud.fleet!;
      const groups = fleet.running().map((id) => fleet.pidOf(id)!);
      expect(groups.length).toBeGreaterThanOrEqual(2);
      expect(processesInGroups(groups).length).toBeGreaterThan(0);
      await api.close();
      await cloud.close();
      expect(processesInGroups(groups)).toEqual([]);
      // The sandboxes were the fleet's own temp folder: gone with it.
      expect(existsSync(fleet.dir)).toBe(false);
    },
    VM_TEST_MS,
  );
});
