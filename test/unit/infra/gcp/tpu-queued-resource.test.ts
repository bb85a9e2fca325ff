/**
 * The `tpu.queued-resource` driver with the real TpuClient (REST) against the
 * fake Cloud TPU: create waits with progress and returns worker endpoints,
 * readMany lists once per zone, diffs say what replaces, updates in place,
 * deletes, converges after a crash, and reports stockouts, preemption,
 * foreign resources and missing credentials clearly.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StratoError } from '../../../../src/errors.ts';
import type { TpuClient } from '../../../../src/infra/gcp/tpu-client.ts';
import {
  createTpuQueuedResourceDriver,
  tpuCloudName,
} from '../../../../src/infra/gcp/tpu-queued-resource.ts';
import type { TpuSliceProps } from '../../../../src/infra/gcp/tpu-slice-props.ts';
import type { ActualResource, RecordedResource } from '../../../../src/infra/types.ts';
import type { FakeTpu } from '../../../../src/testing/fake-tpu/index.ts';
import { driverContext, PROJECT, startFastFakeTpu, V4_PARENT, v4Slice } from '../../../support/fake-tpu.ts';

let fake: FakeTpu;
let client: TpuClient;
let driver: ReturnType<typeof createTpuQueuedResourceDriver>;

beforeAll(async () => {
  ({ fake, client } = await startFastFakeTpu());
  driver = createTpuQueuedResourceDriver({ client, pollIntervalMs: 10 });
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

function recorded(
  resource: ReturnType<typeof v4Slice>,
  ref: RecordedResource['ref'],
): RecordedResource<typeof resource.props> {
  return { ...resource, ref, outputs: {} };
}

describe('tpu.queued-resource driver', () => {
  it('creates a spot v4-32 through a queued resource, reporting its states, and returns its workers', async () => {
    fake.faults.add({ capacity: [{ match: { id: 'demo-train' }, waitMs: 120 }] });
    const context = driverContext('demo');
    const actual = await driver.create(v4Slice('train'), context);
    expect(context.events.map((e) => e.status)).toEqual(
      expect.arrayContaining(['WAITING_FOR_RESOURCES', 'PROVISIONING', 'ACTIVE']),
    );
    expect(context.events.map((e) => e.status).indexOf('WAITING_FOR_RESOURCES')).toBeLessThan(
      context.events.map((e) => e.status).indexOf('PROVISIONING'),
    );
    expect(actual.status).toBe('ACTIVE');
    expect(actual.stackLabel).toBe('demo');
    expect(actual.outputs).toMatchObject({
      node: `${V4_PARENT}/nodes/demo-train`,
      nodeId: 'demo-train',
      acceleratorType: 'v4-32',
      state: 'ACTIVE',
      nodeState: 'READY',
    });
    expect((actual.outputs.workerEndpoints as string[]).length).toBe(4);
    expect(driver.diff(v4Slice('train').props, actual.props)).toEqual([]);
    // What the cloud holds: spot tier, stack label, startup script in metadata.
    const node = fake.getNode(`${V4_PARENT}/nodes/demo-train`);
    expect(node.labels).toEqual({ team: 'ml', 'strato-stack': 'demo' });
    expect(node.metadata).toEqual({ 'startup-script': 'echo hello' });
    expect(node.schedulingConfig?.spot).toBe(true);
  });

  it('reads every slice of a zone with one list of queued resources and one of nodes', async () => {
    const context = driverContext('demo');
    await driver.create(v4Slice('eval', { provisioning: 'guaranteed' }), { ...context, noWait: true });
    const before = { ...fake.calls };
    const refs = ['train', 'eval', 'absent'].map((id) => driver.refOf(v4Slice(id), context));
    const found = await driver.readMany(refs, context);
    expect([...found.keys()].sort()).toEqual(['demo-eval', 'demo-train']);
    expect(found.get('demo-eval')?.props.provisioning).toBe('guaranteed');
    const calls = Object.entries(fake.calls)
      .map(([k, v]) => [k, v - (before[k] ?? 0)])
      .filter(([, n]) => n);
    expect(Object.fromEntries(calls)).toEqual({ 'GET queuedResources.list': 1, 'GET nodes.list': 1 });
  });

  it('diffs: accelerator type, runtime and topology force a replace; labels and metadata do not', () => {
    const before = v4Slice('x').props;
    const changes = driver.diff(before, {
      ...before,
      acceleratorType: 'v4-64',
      runtimeVersion: 'tpu-vm-tf-2.17.0-pod-pjrt',
      labels: { team: 'research' },
      startupScript: 'echo bye',
    });
    expect(changes).toEqual([
      { path: 'acceleratorType', from: 'v4-32', to: 'v4-64', forcesReplace: true },
      { path: 'labels.team', from: 'ml', to: 'research', forcesReplace: false },
      {
        path: 'runtimeVersion',
        from: 'tpu-vm-tf-2.16.1-pod-pjrt',
        to: 'tpu-vm-tf-2.17.0-pod-pjrt',
        forcesReplace: true,
      },
      { path: 'startupScript', from: 'echo hello', to: 'echo bye', forcesReplace: false },
    ]);
    const byConfig = { ...before, acceleratorType: undefined, generation: 'v4' as const, topology: '2x2x4' };
    expect(driver.diff(byConfig, { ...byConfig, topology: '2x4x4' })).toEqual([
      { path: 'topology', from: '2x2x4', to: '2x4x4', forcesReplace: true },
    ]);
  });

  it('updates labels and the startup script in place, and reads them back from the node', async () => {
    const context = driverContext('demo');
    const resource = v4Slice('train', { labels: { team: 'research' }, startupScript: 'echo bye' });
    const [actual] = [...(await driver.readMany([driver.refOf(resource, context)], context)).values()];
    const changes = driver.diff(actual!.props, resource.props);
    expect(changes.every((c) => !c.forcesReplace)).toBe(true);
    const updated = await driver.update(resource, actual!, changes, context);
    expect(updated.props.labels).toEqual({ team: 'research' });
    expect(updated.props.startupScript).toBe('echo bye');
    expect(fake.getNode(`${V4_PARENT}/nodes/demo-train`).labels).toEqual({
      team: 'research',
      'strato-stack': 'demo',
    });
    expect(driver.diff(updated.props, resource.props)).toEqual([]);
  });

  it('converges after a crash: a second create finds the queued resource the first one made', async () => {
    const context = driverContext('crash');
    const resource = v4Slice('train');
    // The first deploy queued it and died before recording anything (noWait stands for the kill).
    await driver.create(resource, { ...context, noWait: true });
    const actual = await driver.create(resource, context);
    expect(actual.status).toBe('ACTIVE');
    const ours = fake.listQueuedResources(V4_PARENT).filter((q) => q.name!.endsWith('/crash-train'));
    expect(ours).toHaveLength(1);
    expect(fake.calls['POST queuedResources.create']).toBeGreaterThan(0);
  });

  it('converges after a lost create response: the re-run finds the queued resource instead of making a second', async () => {
    fake.faults.add({
      http: [{ method: 'POST', path: '/queuedResources?', status: 503, afterHandling: true, times: 1 }],
    });
    const context = driverContext('lost');
    const resource = v4Slice('train');
    await expect(driver.create(resource, context)).rejects.toMatchObject({ code: 'E_TRANSIENT' });
    await expect(driver.create(resource, context)).resolves.toMatchObject({ status: 'ACTIVE' });
    expect(fake.listQueuedResources(V4_PARENT).filter((q) => q.name!.endsWith('/lost-train'))).toHaveLength(
      1,
    );
  });

  it('reports a stockout with what to try, and queues anew on the next deploy', async () => {
    fake.faults.add({ capacity: [{ match: { id: 'demo-big' }, waitMs: 30, outcome: 'stockout', times: 1 }] });
    const context = driverContext('demo');
    const resource = v4Slice('big');
    const error = (await driver.create(resource, context).catch((e: unknown) => e)) as StratoError;
    expect(error).toBeInstanceOf(StratoError);
    expect(error.message).toMatch(/could not be provisioned: .*ZONE_RESOURCE_POOL_EXHAUSTED/);
    expect(error.hint).toMatch(/another zone/);
    expect(error.hint).toMatch(/provisioning: "guaranteed"/);
    expect(error.hint).toMatch(/reservation/);
    expect(context.events.at(-1)?.status).toBe('FAILED');
    // Capacity is back: the failed queued resource is replaced by a fresh one.
    await expect(driver.create(resource, context)).resolves.toMatchObject({ status: 'ACTIVE' });
  });

  it('shows a preempted spot slice on read: SUSPENDED, node PREEMPTED', async () => {
    const context = driverContext('demo');
    fake.preempt(`${V4_PARENT}/queuedResources/demo-train`);
    let actual: ActualResource<TpuSliceProps> | undefined;
    for (let i = 0; i < 100 && actual?.status !== 'SUSPENDED'; i++) {
      actual = (await driver.readMany([driver.refOf(v4Slice('train'), context)], context)).get('demo-train');
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(actual?.status).toBe('SUSPENDED');
    expect(actual?.outputs.nodeState).toBe('PREEMPTED');
  });

  it('never adopts a queued resource without its stack label', async () => {
    const parent = V4_PARENT;
    const [operation] = await client.createQueuedResource({
      parent,
      queuedResourceId: 'demo-foreign',
      queuedResource: {
        tpu: {
          nodeSpec: [
            {
              parent,
              nodeId: 'demo-foreign',
              node: { acceleratorType: 'v4-8', runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt' },
            },
          ],
        },
      },
    });
    await operation.promise();
    await expect(driver.create(v4Slice('foreign'), driverContext('demo'))).rejects.toMatchObject({
      code: 'E_CONFLICT',
      hint: expect.stringMatching(/strato infra import/),
    });
  });

  it('deletes the queued resource and its node; already gone is success', async () => {
    const context = driverContext('demo');
    const resource = v4Slice('train');
    const ref = driver.refOf(resource, context);
    await driver.delete(recorded(resource, ref), context);
    expect(context.events.map((e) => e.status)).toContain('DELETING');
    expect((await driver.readMany([ref], context)).size).toBe(0);
    await expect(client.getNode({ name: `${V4_PARENT}/nodes/demo-train` })).rejects.toMatchObject({
      code: 5,
    });
    await expect(driver.delete(recorded(resource, ref), context)).resolves.toBeUndefined();
  });

  it('translates a quota refusal into E_QUOTA naming the quota page', async () => {
    fake.faults.add({ quota: [{ match: { id: 'demo-quota' }, times: 1 }] });
    await expect(driver.create(v4Slice('quota'), driverContext('demo'))).rejects.toMatchObject({
      code: 'E_QUOTA',
      hint: expect.stringMatching(/iam-admin\/quotas\?project=my-project/),
    });
  });
});

describe('tpu.queued-resource names and credentials', () => {
  it('derives valid, distinct TPU ids from stack and construct path', () => {
    expect(tpuCloudName('Demo_Stack', 'pods/train')).toBe('demo-stack-pods-train');
    const long = tpuCloudName('s', `${'x'.repeat(70)}/a`);
    expect(long.length).toBeLessThanOrEqual(63);
    expect(long).not.toBe(tpuCloudName('s', `${'x'.repeat(70)}/b`));
    expect(tpuCloudName('1st', 'a')).toMatch(/^[a-z]/);
  });

  it('without credentials: E_AUTH naming gcloud auth application-default login', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/key.json';
    try {
      // A TLS endpoint: a real service, which needs credentials (nothing listens there; none are found first).
      const real = createTpuQueuedResourceDriver({
        env: { STRATO_TPU_ENDPOINT: 'https://127.0.0.1:9' },
        pollIntervalMs: 10,
      });
      const context = driverContext('demo');
      const ref = { project: PROJECT, location: 'us-central2-b', name: 'x' };
      const error = (await real.readMany([ref], context).catch((e: unknown) => e)) as StratoError;
      expect(error).toMatchObject({ code: 'E_AUTH' });
      expect(error.hint).toMatch(/gcloud auth application-default login/);
      expect(error.exitCode).toBe(2);
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });
});
