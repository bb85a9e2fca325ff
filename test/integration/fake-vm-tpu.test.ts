/**
 * Fake Cloud TPU VMs that really boot: the real TpuClient (REST) creates a
 * v4-32 slice (4 worker hosts) through a queued resource with Strato's
 * startup script; the fake boots one VM per host, each reading its worker
 * number and peers from its metadata server. Worker 0 runs the program, the
 * other hosts idle; every host's state comes back as a guest attribute and
 * a boot record, and preempting the slice ends every process.
 */

import type { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootRecord, MachineLaunch } from '../../src/agent/layout.ts';
import { createTpuClient, type TpuClient } from '../../src/infra/gcp/tpu-client.ts';
import type { FakeCloud } from '../../src/testing/fake-cloud.ts';
import { fakeTpuEnv } from '../../src/testing/fake-tpu/index.ts';
import { tpuVmId, tpuWorkerHostname } from '../../src/testing/fake-vm/tpu-guests.ts';
import {
  jobMetadata,
  processesInGroups,
  readObject,
  STAND_IN_IMAGE,
  startBootingCloud,
  waitForExit,
} from '../support/fake-vms.ts';
import { waitFor } from '../support/local.ts';

const PARENT = 'projects/test-project/locations/us-central2-b';

let cloud: FakeCloud;
let storage: Storage;
let client: TpuClient;

/** A test boots VMs as process trees on a machine whose cores it shares: a minute, not the default 30 s. */
const VM_TEST_MS = 60_000;

beforeAll(async () => {
  ({ cloud, storage } = await startBootingCloud());
  client = await createTpuClient({ env: fakeTpuEnv(cloud.tpu!) });
});

afterAll(async () => {
  await client?.close();
  await cloud?.close();
});

/** A pod's launch: the program on worker 0, hosts 1–3 serve the TPU runtime only. */
function podLaunch(args: string[]): MachineLaunch {
  return {
    image: STAND_IN_IMAGE,
    args,
    dockerFlags: ['--privileged'],
    replicas: [0, 1, 2, 3].map((worker) => ({
      name: `tpu-host-${worker}`,
      worker,
      runsProgram: worker === 0,
      env: { STRATO_REPLICA: `tpu-host-${worker}`, GREETING: `host ${worker}` },
    })),
  };
}

async function createSlice(id: string, metadata: Record<string, string>, spot = false): Promise<string> {
  await client.createQueuedResource({
    parent: PARENT,
    queuedResourceId: id,
    queuedResource: {
      tpu: {
        nodeSpec: [
          {
            parent: PARENT,
            nodeId: id,
            node: { acceleratorType: 'v4-32', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt', metadata },
          },
        ],
      },
      ...(spot ? { spot: {} } : { guaranteed: {} }),
    },
  });
  return `${PARENT}/nodes/${id}`;
}

/** Each worker's `strato/state`; none before the queued resource made the node. */
async function workerStates(node: string): Promise<(string | undefined)[]> {
  try {
    const [answer] = await client.getGuestAttributes({ name: node, queryPath: 'strato/state' });
    return (answer.guestAttributes ?? []).map((g) => g.queryValue?.items?.[0]?.value ?? undefined);
  } catch (error) {
    if ((error as { code?: number }).code === 5) return [];
    throw error;
  }
}

describe('a TPU VM slice boots one VM per host', () => {
  it(
    'GIVEN a v4-32 slice THEN worker 0 runs the program and hosts 1–3 idle, each with its boot record',
    async () => {
      const started = Date.now();
      const node = await createSlice('pod-a', jobMetadata(cloud, 'pod-a', podLaunch(['exit', '0'])));
      const exit = await waitForExit(storage, 'pod-a/attempts/1/tpu-host-0.exit.json');
      console.info(`fake TPU v4-32: queued resource → exit.json of worker 0 in ${Date.now() - started} ms`);
      expect(exit.exitCode).toBe(0);
      const log = (await readObject(storage, 'pod-a/attempts/1/tpu-host-0.log'))!;
      expect(log).toContain('replica=tpu-host-0 greeting=host 0');
      await waitFor(
        async () => (await workerStates(node)).join(',') === 'exited,idle,idle,idle',
        'worker states exited, idle, idle, idle',
      );
      for (const worker of [0, 1, 2, 3]) {
        const host = tpuWorkerHostname(node, worker);
        const boot = JSON.parse(
          (await readObject(storage, `pod-a/attempts/1/${host}.boot.json`))!,
        ) as BootRecord;
        expect(boot).toEqual({
          host,
          startedAt: expect.any(String),
          worker,
          ...(worker === 0 ? { replica: 'tpu-host-0' } : {}),
        });
      }
      // Idle hosts write a log saying they run nothing, and no exit record.
      expect(await readObject(storage, 'pod-a/attempts/1/tpu-host-1.log')).toMatch(
        /\(worker 1\) booted for job pod-a attempt 1\n.*no program runs on this host/,
      );
      expect(await readObject(storage, 'pod-a/attempts/1/tpu-host-1.exit.json')).toBeUndefined();
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN a slice THEN worker 0 resolves another worker by its hostname',
    async () => {
      const node = `${PARENT}/nodes/pod-b`;
      await createSlice(
        'pod-b',
        jobMetadata(cloud, 'pod-b', podLaunch(['resolve', tpuWorkerHostname(node, 3)])),
      );
      const exit = await waitForExit(storage, 'pod-b/attempts/1/tpu-host-0.exit.json');
      expect(exit.exitCode).toBe(0);
      expect(exit.lastLines!.join('\n')).toContain(`127.0.0.1       ${tpuWorkerHostname(node, 3)}`);
    },
    VM_TEST_MS,
  );

  it(
    'GIVEN a spot slice running its program WHEN it is preempted THEN no process of its VMs is left',
    async () => {
      const node = await createSlice('pod-c', jobMetadata(cloud, 'pod-c', podLaunch(['tick', '400'])), true);
      await waitFor(async () => (await workerStates(node))[0] === 'running', 'worker 0 running');
      const groups = [0, 1, 2, 3].flatMap((w) => cloud.fleet!.pidOf(tpuVmId(node, w)) ?? []);
      expect(groups.length).toBe(4);
      expect(processesInGroups(groups).length).toBeGreaterThan(0);
      cloud.tpu!.preempt(`${PARENT}/queuedResources/pod-c`);
      await waitFor(() => processesInGroups(groups).length === 0, 'the slice VMs to shut down');
      // SIGTERM reached the program; the script reported that (143) as the VM went down.
      const exit = await waitForExit(storage, 'pod-c/attempts/1/tpu-host-0.exit.json');
      expect(exit.exitCode).toBe(143);
    },
    VM_TEST_MS,
  );
});
