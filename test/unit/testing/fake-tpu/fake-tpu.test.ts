/**
 * The fake Cloud TPU driven by the real `@google-cloud/tpu` TpuClient over
 * REST: what it refuses (from its own tables), the queued resource state
 * machine, long-running operations, nodes' lifecycle, catalog lists and
 * faults as data.
 */

import type { protos } from '@google-cloud/tpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TpuClient } from '../../../../src/infra/gcp/tpu-client.ts';
import type { FakeTpu } from '../../../../src/testing/fake-tpu/index.ts';
import { FAST_TPU_TIMING, PROJECT, startFastFakeTpu, V4_PARENT } from '../../../support/fake-tpu.ts';

type Node = protos.google.cloud.tpu.v2.INode;

let fake: FakeTpu;
let client: TpuClient;

beforeAll(async () => {
  ({ fake, client } = await startFastFakeTpu());
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

const parentIn = (zone: string) => `projects/${PROJECT}/locations/${zone}`;

function queue(id: string, node: Node, zone = 'us-central2-b', tier: 'spot' | 'guaranteed' = 'guaranteed') {
  const parent = parentIn(zone);
  return client.createQueuedResource({
    parent,
    queuedResourceId: id,
    queuedResource: { tpu: { nodeSpec: [{ parent, nodeId: id, node }] }, [tier]: {} },
  });
}

async function stateOf(name: string): Promise<string> {
  const [queued] = await client.getQueuedResource({ name });
  return String(queued.state?.state);
}

async function until(name: string, wanted: string, seen: string[] = []): Promise<string[]> {
  for (let i = 0; i < 400; i++) {
    const state = await stateOf(name);
    if (seen.at(-1) !== state) seen.push(state);
    if (state === wanted) return seen;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${name} never became ${wanted}; saw ${seen.join(' → ')}`);
}

const V4 = { acceleratorType: 'v4-32', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' };

describe('the fake Cloud TPU refuses what the service refuses', () => {
  const cases: { what: string; id: string; node: Node; zone?: string; message: RegExp; code?: number }[] = [
    {
      what: 'an unknown zone',
      id: 'a',
      node: V4,
      zone: 'mars-central1-a',
      message: /Location "mars-central1-a"/,
      code: 5,
    },
    {
      what: 'a type not offered in the zone',
      id: 'b',
      node: V4,
      zone: 'us-central1-a',
      message: /v4-32.*not available in zone "us-central1-a"/,
    },
    {
      what: 'a type that does not exist',
      id: 'c',
      node: { ...V4, acceleratorType: 'v4-33' },
      message: /"v4-33" does not exist/,
    },
    {
      what: 'a runtime the generation does not boot',
      id: 'd',
      node: { ...V4, runtimeVersion: 'v2-alpha-tpuv5' },
      message: /Runtime version "v2-alpha-tpuv5" is not supported/,
    },
    {
      what: 'a -se runtime on v5e (PJRT only)',
      id: 'e',
      zone: 'us-west4-a',
      node: { acceleratorType: 'v5litepod-8', runtimeVersion: 'tpu-vm-tf-2.16.1-se' },
      message: /not supported for accelerator type "v5litepod-8"/,
    },
    {
      what: 'a topology with no slice',
      id: 'f',
      node: { acceleratorConfig: { type: 'V4', topology: '3x3x3' }, runtimeVersion: V4.runtimeVersion },
      message: /topology "3x3x3" is not a valid/,
    },
    {
      what: 'both type and config',
      id: 'g',
      node: { ...V4, acceleratorConfig: { type: 'V4', topology: '2x2x4' } },
      message: /Only one of/,
    },
    { what: 'a bad id', id: 'Bad_Name', node: V4, message: /queued_resource_id "Bad_Name" is invalid/ },
    { what: 'a bad label', id: 'h', node: { ...V4, labels: { Team: 'ml' } }, message: /Label key "Team"/ },
  ];
  it.each(cases)('refuses $what', async ({ id, node, zone, message, code }) => {
    const error = (await queue(id, node, zone).catch((e: unknown) => e)) as { code: number; message: string };
    expect(error.message).toMatch(message);
    expect(error.code).toBe(code ?? 3);
  });

  it('accepts a type + topology (acceleratorConfig) the zone offers, sent as a numeric enum by the client', async () => {
    const [operation] = await queue('by-config', {
      acceleratorConfig: { type: 'V4', topology: '2x2x4' },
      runtimeVersion: V4.runtimeVersion,
    });
    await operation.promise();
    const [queued] = await client.getQueuedResource({ name: `${V4_PARENT}/queuedResources/by-config` });
    expect(queued.tpu?.nodeSpec?.[0]?.node?.acceleratorConfig).toMatchObject({
      type: 'V4',
      topology: '2x2x4',
    });
    await until(`${V4_PARENT}/queuedResources/by-config`, 'ACTIVE');
    const [node] = await client.getNode({ name: `${V4_PARENT}/nodes/by-config` });
    expect(node.acceleratorType).toBe('v4-32');
  });
});

describe('queued resources', () => {
  it('go ACCEPTED → WAITING_FOR_RESOURCES → PROVISIONING → ACTIVE, with a node per worker host', async () => {
    fake.faults.add({ capacity: [{ match: { id: 'machine' }, waitMs: 150 }] });
    // Every state long enough for a poll to see it on a loaded machine.
    Object.assign(fake.timing, { acceptMs: 200, provisionMs: 200 });
    const [operation] = await queue('machine', {
      ...V4,
      labels: { team: 'ml' },
      metadata: { 'startup-script': 'echo hi' },
    }).finally(() => Object.assign(fake.timing, FAST_TPU_TIMING));
    const seen = await until(`${V4_PARENT}/queuedResources/machine`, 'ACTIVE', []);
    expect(seen).toEqual(['ACCEPTED', 'WAITING_FOR_RESOURCES', 'PROVISIONING', 'ACTIVE']);
    expect((await operation.promise())[0].name).toBe(`${V4_PARENT}/queuedResources/machine`);
    const [node] = await client.getNode({ name: `${V4_PARENT}/nodes/machine` });
    expect(node.state).toBe('READY');
    // v4-32: 16 chips, 4 per host.
    expect(node.networkEndpoints?.map((e) => e.port)).toEqual([8470, 8470, 8470, 8470]);
    expect(new Set(node.networkEndpoints?.map((e) => e.ipAddress)).size).toBe(4);
    expect(node.queuedResource).toBe(`${V4_PARENT}/queuedResources/machine`);
    expect(node.metadata).toEqual({ 'startup-script': 'echo hi' });
  });

  it('FAIL with a stockout when capacity never comes, and reset queues them again', async () => {
    fake.faults.add({ capacity: [{ match: { id: 'stockout' }, waitMs: 30, outcome: 'stockout', times: 1 }] });
    await queue('stockout', V4);
    await until(`${V4_PARENT}/queuedResources/stockout`, 'FAILED');
    const [queued] = await client.getQueuedResource({ name: `${V4_PARENT}/queuedResources/stockout` });
    expect(queued.state?.failedData?.error?.message).toMatch(/ZONE_RESOURCE_POOL_EXHAUSTED/);
    const [reset] = await client.resetQueuedResource({ name: `${V4_PARENT}/queuedResources/stockout` });
    await reset.promise();
    await until(`${V4_PARENT}/queuedResources/stockout`, 'ACTIVE');
  });

  it('of spot slices are SUSPENDED when preempted, their node PREEMPTED', async () => {
    await queue('spotty', V4, 'us-central2-b', 'spot');
    await until(`${V4_PARENT}/queuedResources/spotty`, 'ACTIVE');
    fake.preempt(`${V4_PARENT}/queuedResources/spotty`);
    await until(`${V4_PARENT}/queuedResources/spotty`, 'SUSPENDED');
    const [node] = await client.getNode({ name: `${V4_PARENT}/nodes/spotty` });
    expect(node.state).toBe('PREEMPTED');
    expect(node.schedulingConfig?.spot).toBe(true);
  });

  it('with a node are deleted only with force, which deletes the node too', async () => {
    await queue('doomed', V4);
    const name = `${V4_PARENT}/queuedResources/doomed`;
    await until(name, 'ACTIVE');
    // FAILED_PRECONDITION travels as HTTP 400, which the REST client reads as INVALID_ARGUMENT (3).
    await expect(client.deleteQueuedResource({ name })).rejects.toMatchObject({
      code: 3,
      message: expect.stringMatching(/force=true/),
    });
    const [operation] = await client.deleteQueuedResource({ name, force: true });
    await operation.promise();
    await expect(client.getQueuedResource({ name })).rejects.toMatchObject({ code: 5 });
    await expect(client.getNode({ name: `${V4_PARENT}/nodes/doomed` })).rejects.toMatchObject({ code: 5 });
  });

  it('are refused with RESOURCE_EXHAUSTED when a quota rule says so', async () => {
    fake.faults.add({
      quota: [{ match: { tier: 'spot' }, quota: 'TPUV4PodPerProjectPerZoneForTPUAPI', times: 1 }],
    });
    await expect(queue('over-quota', V4, 'us-central2-b', 'spot')).rejects.toMatchObject({
      code: 8,
      message: expect.stringMatching(/TPUV4PodPerProjectPerZoneForTPUAPI/),
    });
  });
});

describe('nodes, lists and faults', () => {
  it('creates, stops, starts, patches and deletes a node through operations', async () => {
    const name = `${V4_PARENT}/nodes/direct`;
    const [create] = await client.createNode({
      parent: V4_PARENT,
      nodeId: 'direct',
      node: { acceleratorType: 'v4-8', runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt' },
    });
    await create.promise();
    expect((await client.getNode({ name }))[0].state).toBe('READY');
    await (await client.stopNode({ name }))[0].promise();
    expect((await client.getNode({ name }))[0].state).toBe('STOPPED');
    await (await client.startNode({ name }))[0].promise();
    await (
      await client.updateNode({
        node: { name, labels: { team: 'infra' } },
        updateMask: { paths: ['labels'] },
      })
    )[0].promise();
    const [node] = await client.getNode({ name });
    expect([node.state, node.labels]).toEqual(['READY', { team: 'infra' }]);
    // Preempting a node that is neither spot nor preemptible is a mistake in the test, said loudly.
    expect(() => fake.preempt(name)).toThrow(/neither spot nor preemptible/);
    await (await client.deleteNode({ name }))[0].promise();
    const preemptible = `${V4_PARENT}/nodes/preemptible`;
    await (
      await client.createNode({
        parent: V4_PARENT,
        nodeId: 'preemptible',
        node: {
          acceleratorType: 'v4-8',
          runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt',
          schedulingConfig: { preemptible: true },
        },
      })
    )[0].promise();
    fake.preempt(preemptible);
    expect((await client.getNode({ name: preemptible }))[0].state).toBe('PREEMPTED');
    await expect(client.getNode({ name })).rejects.toMatchObject({ code: 5 });
  });

  it('serves guest attributes per worker', async () => {
    await queue('guests', V4);
    await until(`${V4_PARENT}/queuedResources/guests`, 'ACTIVE');
    const name = `${V4_PARENT}/nodes/guests`;
    fake.setGuestAttribute(name, 1, { namespace: 'strato', key: 'exit', value: '0' });
    const [answer] = await client.getGuestAttributes({ name, queryPath: 'strato/' });
    expect(answer.guestAttributes?.length).toBe(4);
    expect(answer.guestAttributes?.[1]?.queryValue?.items).toEqual([
      { namespace: 'strato', key: 'exit', value: '0' },
    ]);
  });

  it('lists accelerator types and runtime versions per zone from its own tables', async () => {
    const [types] = await client.listAcceleratorTypes({ parent: V4_PARENT });
    expect(types.map((t) => t.type)).toContain('v4-32');
    expect(types.map((t) => t.type)).not.toContain('v5p-8');
    const [v4] = await client.getAcceleratorType({ name: `${V4_PARENT}/acceleratorTypes/v4-1536` });
    expect(v4.acceleratorConfigs?.[0]?.topology).toBe('8x8x12');
    const [versions] = await client.listRuntimeVersions({ parent: parentIn('us-west4-a') });
    expect(versions.map((v) => v.version)).toContain('tpu-vm-tf-2.16.1-pjrt');
    expect(versions.map((v) => v.version)).not.toContain('tpu-vm-tf-2.16.1-se');
  });

  it('answers 503 on the Nth matching call, then serves again', async () => {
    fake.faults.add({ http: [{ method: 'GET', path: '/nodes/', nth: 2, status: 503 }] });
    const name = `${V4_PARENT}/nodes/guests`;
    await client.getNode({ name }, { retry: null } as never);
    await expect(client.getNode({ name }, { retry: null } as never)).rejects.toMatchObject({ code: 14 });
    await expect(client.getNode({ name })).resolves.toBeDefined();
  });

  it('slows every operation by operationDelayMs', async () => {
    fake.faults.add({ operationDelayMs: 200 });
    try {
      await queue('slow', V4);
      await until(`${V4_PARENT}/queuedResources/slow`, 'ACTIVE');
      const started = Date.now();
      await (
        await client.deleteQueuedResource({ name: `${V4_PARENT}/queuedResources/slow`, force: true })
      )[0].promise();
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    } finally {
      fake.faults.operationDelayMs = 0;
    }
  });
});
