/**
 * `gcloud compute tpus tpu-vm …` and `gcloud compute tpus queued-resources …`
 * (Python, its own REST client) against the fake Cloud TPU, over slices
 * Strato's driver made: list, describe, a label update (drift the driver
 * reads back) and the catalog lists, with gcloud's own parsing of the proto3 JSON. Needs gcloud (test/README.md says how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TpuClient } from '../../src/infra/gcp/tpu-client.ts';
import { createTpuQueuedResourceDriver } from '../../src/infra/gcp/tpu-queued-resource.ts';
import type { FakeTpu } from '../../src/testing/fake-tpu/index.ts';
import {
  driverContext,
  PROJECT,
  startFastFakeTpu,
  V4_PARENT,
  V4_ZONE,
  v4Slice,
} from '../support/fake-tpu.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');
const run = promisify(execFile);

let fake: FakeTpu;
let client: TpuClient;
let configDir: string;
let driver: ReturnType<typeof createTpuQueuedResourceDriver>;

beforeAll(async () => {
  ({ fake, client } = await startFastFakeTpu());
  configDir = mkdtempSync(join(tmpdir(), 'strato-gcloud-tpu-'));
  driver = createTpuQueuedResourceDriver({ client, pollIntervalMs: 10 });
  await driver.create(v4Slice('train'), driverContext('pods'));
  fake.faults.add({ capacity: [{ match: { id: 'pods-waiting' }, waitMs: 600_000 }] });
  await driver.create(
    v4Slice('waiting', { provisioning: 'guaranteed' }),
    driverContext('pods', { noWait: true }),
  );
});

afterAll(async () => {
  await client.close();
  await fake.close();
  rmSync(configDir, { recursive: true, force: true });
});

/** gcloud pointed at the fake: a throwaway config, no credentials, the TPU endpoint overridden. */
async function gcloud(...args: string[]): Promise<unknown> {
  const { stdout } = await run('gcloud', [...args, `--zone=${V4_ZONE}`, '--format=json'], {
    timeout: 60_000,
    env: {
      ...process.env,
      CLOUDSDK_CONFIG: configDir,
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_TPU: fake.url,
      CLOUDSDK_CORE_PROJECT: PROJECT,
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    },
  });
  return JSON.parse(stdout);
}

describe('gcloud compute tpus against the fake Cloud TPU', () => {
  it('lists and describes the TPU VM Strato made, with its workers and labels', async () => {
    const listed = (await gcloud('compute', 'tpus', 'tpu-vm', 'list')) as { name: string; state: string }[];
    expect(listed.map((n) => [n.name, n.state])).toEqual([[`${V4_PARENT}/nodes/pods-train`, 'READY']]);
    const node = (await gcloud('compute', 'tpus', 'tpu-vm', 'describe', 'pods-train')) as {
      acceleratorType: string;
      labels: Record<string, string>;
      networkEndpoints: { ipAddress: string }[];
      schedulingConfig: { spot?: boolean };
    };
    expect(node.acceleratorType).toBe('v4-32');
    expect(node.labels).toEqual({ team: 'ml', 'strato-stack': 'pods' });
    expect(node.networkEndpoints).toHaveLength(4);
    expect(node.schedulingConfig.spot).toBe(true);
  });

  it('lists and describes queued resources with their states', async () => {
    const listed = (await gcloud('compute', 'tpus', 'queued-resources', 'list')) as {
      name: string;
      state: { state: string };
    }[];
    expect(Object.fromEntries(listed.map((q) => [q.name.split('/').at(-1), q.state.state]))).toEqual({
      'pods-train': 'ACTIVE',
      'pods-waiting': 'WAITING_FOR_RESOURCES',
    });
    const queued = (await gcloud('compute', 'tpus', 'queued-resources', 'describe', 'pods-waiting')) as {
      guaranteed?: object;
      spot?: object;
      tpu: { nodeSpec: { nodeId: string; node: { runtimeVersion: string } }[] };
    };
    expect(queued.guaranteed).toBeDefined();
    expect(queued.spot).toBeUndefined();
    expect(queued.tpu.nodeSpec[0]).toMatchObject({
      nodeId: 'pods-waiting',
      node: { runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' },
    });
  });

  it('a label changed with `gcloud compute tpus tpu-vm update` is drift the driver reads back, in place', async () => {
    await gcloud('compute', 'tpus', 'tpu-vm', 'update', 'pods-train', '--update-labels=team=research');
    const context = driverContext('pods');
    const desired = v4Slice('train');
    const actual = (await driver.readMany([driver.refOf(desired, context)], context)).get('pods-train');
    expect(actual?.props.labels).toEqual({ team: 'research' });
    expect(driver.diff(actual!.props, desired.props)).toEqual([
      { path: 'labels.team', from: 'research', to: 'ml', forcesReplace: false },
    ]);
  });

  it('lists the accelerator types and runtime versions of the zone from the fake tables', async () => {
    const types = (await gcloud('compute', 'tpus', 'tpu-vm', 'accelerator-types', 'list')) as {
      type: string;
    }[];
    expect(types.map((t) => t.type)).toContain('v4-32');
    const versions = (await gcloud('compute', 'tpus', 'tpu-vm', 'versions', 'list')) as { version: string }[];
    expect(versions.map((v) => v.version)).toContain('tpu-vm-tf-2.16.1-pod-pjrt');
  });

  it('lists nothing once the driver deleted both slices', async () => {
    const context = driverContext('pods');
    for (const id of ['train', 'waiting']) {
      const resource = v4Slice(id);
      await driver.delete({ ...resource, ref: driver.refOf(resource, context), outputs: {} }, context);
    }
    expect(await gcloud('compute', 'tpus', 'queued-resources', 'list')).toEqual([]);
    expect(await gcloud('compute', 'tpus', 'tpu-vm', 'list')).toEqual([]);
  });

  it('reports a NOT_FOUND for a slice that is not there, as the service does', async () => {
    await expect(gcloud('compute', 'tpus', 'tpu-vm', 'describe', 'nothing-here')).rejects.toMatchObject({
      stderr: expect.stringMatching(/NOT_FOUND|not found/i),
    });
  });
});
