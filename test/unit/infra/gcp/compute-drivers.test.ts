/**
 * The Compute Engine drivers against the fake Compute Engine, through the
 * real `@google-cloud/compute` client: create, read, diff, update and
 * delete; an idempotent re-create after a crash; stockouts, quotas, 503s and
 * preemption as the fake injects them.
 */

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { desiredResources, Stack } from '../../../../src/infra/construct.ts';
import { createComputeApi, operationOf } from '../../../../src/infra/gcp/compute-api.ts';
import type { ComputeDriverOptions } from '../../../../src/infra/gcp/driver-kit.ts';
import { createFirewallDriver } from '../../../../src/infra/gcp/firewall-driver.ts';
import {
  Firewall,
  type FirewallProps,
  GpuVms,
  type InstanceProps,
  Network,
  type NetworkProps,
} from '../../../../src/infra/gcp/index.ts';
import { createInstanceDriver, instanceBody } from '../../../../src/infra/gcp/instance-driver.ts';
import { createNetworkDriver } from '../../../../src/infra/gcp/network-driver.ts';
import type {
  ActualResource,
  DesiredResource,
  DriverContext,
  ProgressEvent,
  RecordedResource,
} from '../../../../src/infra/types.ts';
import { type FakeCompute, startFakeCompute } from '../../../../src/testing/fake-compute/index.ts';

const PROJECT = 'my-project';
const ZONE = 'us-central1-a';
let fake: FakeCompute;
let options: ComputeDriverOptions;
const progress: ProgressEvent[] = [];
const context: DriverContext = {
  stack: 'gpu-vms',
  project: PROJECT,
  outputsOf: () => ({}),
  onProgress: (event) => progress.push(event),
};

beforeAll(async () => {
  fake = await startFakeCompute({ faults: { operationMs: 5 } });
  options = {
    endpoints: { compute: fake.endpoint },
    api: { retry: { maxAttempts: 4, initialDelayMs: 5, maxDelayMs: 20 } },
    pollMs: 10,
  };
});
afterAll(() => fake.close());
afterEach(() => {
  fake.capacity.clear();
  fake.faults.clear();
  fake.capacity.operationMs = 5;
});

/** A stack of the example's shape: a network, TF's firewall rule and `count` spot A100 VMs. */
function stack(name = 'gpu-vms', vms: Partial<ConstructorParameters<typeof GpuVms>[2]> = {}) {
  const root = new Stack(name, { project: PROJECT, zone: ZONE, labels: { team: 'ml' } });
  const network = new Network(root, 'net');
  const workers = new GpuVms(root, 'workers', {
    count: 2,
    machineType: 'a2-highgpu-1g',
    spot: true,
    maxRunDurationSec: 86_400,
    network,
    startupScript: 'echo hello',
    ...vms,
  });
  new Firewall(root, 'tf', { network, targetTags: [workers.tag] });
  const byId = new Map(desiredResources(root).map((r) => [r.id, r]));
  const get = <P = Record<string, unknown>>(id: string) => byId.get(id) as DesiredResource<P>;
  /** The stack's first VM, its network created (every VM needs its network first). */
  const firstVm = async () => {
    await createNetworkDriver(options).create(get<NetworkProps>('net'), { ...context, stack: name });
    return get<InstanceProps>(workers.instances[0]!.resourceId);
  };
  return { root, workers, byId, get, firstVm };
}

function recorded<P>(desired: DesiredResource<P>, actual: ActualResource<P>): RecordedResource<P> {
  return {
    id: desired.id,
    kind: desired.kind,
    props: desired.props,
    ref: actual.ref,
    outputs: actual.outputs,
    dependsOn: desired.dependsOn,
  };
}

/** What the engine compares against: fields the cloud does not report come from the record. */
const view = <P>(desired: DesiredResource<P>, actual: ActualResource<P>) =>
  ({ ...desired.props, ...actual.props }) as P;

describe('compute.network and compute.firewall', () => {
  it('GIVEN a network and a firewall rule THEN they are created, read back unchanged, updated in place and deleted', async () => {
    const networks = createNetworkDriver(options);
    const firewalls = createFirewallDriver(options);
    const { get } = stack();
    const net = get<NetworkProps>('net');
    const tf = get<FirewallProps>('tf');

    const madeNet = await networks.create(net, context);
    expect(madeNet.stackLabel).toBe('gpu-vms');
    expect(madeNet.outputs).toMatchObject({ name: 'gpu-vms-net', cidr: '10.128.0.0/9' });
    const madeRule = await firewalls.create(tf, context);
    expect(madeRule.props).toMatchObject({
      ports: ['2222'],
      sourceRanges: ['10.128.0.0/9'],
      networkName: 'gpu-vms-net',
      targetTags: ['gpu-vms-workers'],
    });

    const readNet = (await networks.readMany([networks.refOf(net, context)], context)).get('gpu-vms-net')!;
    expect(networks.diff(net.props, view(net, readNet))).toEqual([]);
    const readRule = (await firewalls.readMany([firewalls.refOf(tf, context)], context)).get('gpu-vms-tf')!;
    expect(firewalls.diff(tf.props, view(tf, readRule))).toEqual([]);

    // Creating again (a re-run after a crash) returns the same resources, no second one.
    expect((await networks.create(net, context)).ref.name).toBe('gpu-vms-net');
    expect((await firewalls.create(tf, context)).outputs.selfLink).toBe(madeRule.outputs.selfLink);
    expect([...fake.context.networks.keys()].filter((k) => k.endsWith('/gpu-vms-net'))).toHaveLength(1);

    const wider = { ...tf, props: { ...tf.props, ports: ['2222', '8470'] } };
    const changes = firewalls.diff(view(tf, readRule), wider.props);
    expect(changes).toEqual([{ path: 'ports', from: ['2222'], to: ['2222', '8470'], forcesReplace: false }]);
    expect(firewalls.diff(tf.props, { ...tf.props, networkName: 'other' })[0]?.forcesReplace).toBe(true);
    const updated = await firewalls.update(wider, readRule, changes, context);
    expect(updated.props.ports).toEqual(['2222', '8470']);

    // The network cannot go while its rule uses it; in reverse order both go, and a second delete is quiet.
    await expect(networks.delete(recorded(net, madeNet), context)).rejects.toMatchObject({
      message: /already being used/,
    });
    await firewalls.delete(recorded(tf, madeRule), context);
    await networks.delete(recorded(net, madeNet), context);
    await firewalls.delete(recorded(tf, madeRule), context);
    expect((await networks.readMany([madeNet.ref], context)).size).toBe(0);
    expect(progress.some((event) => event.id === 'net' && event.status === 'DONE')).toBe(true);
  });
});

describe('compute.instance', () => {
  const networks = () => createNetworkDriver(options);

  beforeAll(async () => {
    const { get } = stack();
    await networks().create(get<NetworkProps>('net'), context);
  });

  it('GIVEN two spot A100 VMs THEN both are created RUNNING with the asked-for settings and read with one list call', async () => {
    const vms = createInstanceDriver(options);
    const { workers, get } = stack();
    const [first, second] = workers.instances.map((vm) => get<InstanceProps>(vm.resourceId));
    const made = await Promise.all([vms.create(first!, context), vms.create(second!, context)]);
    expect(made.map((m) => m.status)).toEqual(['RUNNING', 'RUNNING']);
    const vm = fake.context.instances.get(`${PROJECT}/${ZONE}/gpu-vms-workers-workers-0`)!;
    expect(vm.scheduling).toMatchObject({
      provisioningModel: 'SPOT',
      onHostMaintenance: 'TERMINATE',
      instanceTerminationAction: 'STOP',
      automaticRestart: false,
    });
    expect(vm.labels).toEqual({ team: 'ml', 'strato-stack': 'gpu-vms' });
    expect(vm.guestAccelerators).toBeUndefined();
    expect(vm.disks).toMatchObject([{ diskSizeGb: '200', boot: true }]);
    // The service shows `default` as the project's account address; the driver reads it back as `default` (no drift).
    expect(vm.serviceAccounts).toMatchObject([
      { email: expect.stringMatching(/^\d+-compute@developer\.gserviceaccount\.com$/) },
    ]);

    const before = fake.calls.get('GET zones/*/instances') ?? 0;
    const read = await vms.readMany([vms.refOf(first!, context), vms.refOf(second!, context)], context);
    expect(fake.calls.get('GET zones/*/instances')).toBe(before + 1);
    expect(read.size).toBe(2);
    const actual = read.get(made[0]!.ref.name)!;
    expect(vms.diff(first!.props, view(first!, actual))).toEqual([]);
    expect(actual.outputs.internalIp).toMatch(/^10\.128\./);

    // Labels and the startup script change in place; the machine type needs a new VM.
    const relabelled = {
      ...first!,
      props: { ...first!.props, labels: { team: 'vision' }, metadata: { 'startup-script': 'echo bye' } },
    };
    const changes = vms.diff(view(first!, actual), relabelled.props);
    expect(changes.map((c) => [c.path, c.forcesReplace])).toEqual([
      ['labels.team', false],
      ['metadata.startup-script', false],
    ]);
    const updated = await vms.update(relabelled, actual, changes, context);
    expect(updated.props.labels).toEqual({ team: 'vision' });
    expect(updated.props.metadata).toEqual({ 'startup-script': 'echo bye' });
    expect(updated.stackLabel).toBe('gpu-vms');
    expect(vms.diff(first!.props, { ...first!.props, machineType: 'a2-highgpu-2g' })).toMatchObject([
      { path: 'machineType', forcesReplace: true },
    ]);

    for (const [i, desired] of [first!, second!].entries())
      await vms.delete(recorded(desired, made[i]!), context);
    await vms.delete(recorded(first!, made[0]!), context);
    expect(
      (
        await vms.readMany(
          made.map((m) => m.ref),
          context,
        )
      ).size,
    ).toBe(0);
  });

  it('GIVEN a deploy killed after its insert was sent WHEN create runs again THEN it waits for that VM instead of making a second', async () => {
    const vms = createInstanceDriver(options);
    const desired = await stack('crash').firstVm();
    fake.capacity.operationMs = 300;
    // The first process: the insert is sent, then the process dies (nothing waits for the operation).
    const api = await createComputeApi({ endpoint: fake.endpoint });
    const image =
      'projects/deeplearning-platform-release/global/images/family/common-cu128-ubuntu-2204-nvidia-570';
    operationOf(
      await api.instances.insert({
        project: PROJECT,
        zone: ZONE,
        instanceResource: instanceBody(desired.props, 'crash', desired.id, image),
      }),
    );
    await api.close();
    expect(fake.context.instances.get(`${PROJECT}/${ZONE}/${desired.props.name}`)?.status).toBe('STAGING');

    const again = await vms.create(desired, { ...context, stack: 'crash' });
    expect(again.status).toBe('RUNNING');
    expect(
      [...fake.context.instances.keys()].filter((k) => k.endsWith(`/${desired.props.name}`)),
    ).toHaveLength(1);
    await vms.delete(recorded(desired, again), context);
  });

  it("GIVEN a VM of that name that is not the stack's THEN create refuses to adopt it and names `strato infra import`", async () => {
    const vms = createInstanceDriver(options);
    const desired = await stack('theirs').firstVm();
    const ours = await vms.create(desired, { ...context, stack: 'theirs' });
    await expect(vms.create(desired, { ...context, stack: 'mine' })).rejects.toMatchObject({
      code: 'E_CONFLICT',
      hint: expect.stringContaining('strato infra import'),
    });
    await vms.delete(recorded(desired, ours), context);
  });

  it('GIVEN a VM imported into a stack THEN claim labels it as that stack’s at once, keeping its other labels', async () => {
    const vms = createInstanceDriver(options);
    const desired = await stack('before').firstVm();
    const theirs = await vms.create(desired, { ...context, stack: 'before' });
    const claimed = await vms.claim!(theirs, desired, { ...context, stack: 'after' });
    expect(claimed.stackLabel).toBe('after');
    const [read] = (await vms.readMany([theirs.ref], context)).values();
    expect(read).toMatchObject({ stackLabel: 'after', props: { labels: { team: 'ml' } } });
    // Now the stack's: a create (a later deploy) takes it back instead of refusing.
    expect((await vms.create(desired, { ...context, stack: 'after' })).ref.name).toBe(theirs.ref.name);
    await vms.delete(recorded(desired, theirs), context);
  });

  it('GIVEN no spot A100 left in the zone THEN create fails with E_NO_CAPACITY saying what to try, and leaves no VM', async () => {
    const vms = createInstanceDriver(options);
    fake.capacity.stockout({ zone: ZONE, machineTypes: /^a2-/, provisioningModel: 'SPOT' });
    const desired = await stack('stockout').firstVm();
    const error = await vms.create(desired, { ...context, stack: 'stockout' }).catch((e: unknown) => e);
    expect(error).toMatchObject({
      code: 'E_NO_CAPACITY',
      message: expect.stringContaining('ZONE_RESOURCE_POOL_EXHAUSTED'),
    });
    const hint = (error as { hint: string }).hint;
    expect(hint).toMatch(/another zone/);
    expect(hint).toMatch(/on-demand instead of spot/);
    expect(hint).toMatch(/reservation/);
    expect(fake.context.instances.has(`${PROJECT}/${ZONE}/${desired.props.name}`)).toBe(false);
  });

  it('GIVEN the GPU quota is used up THEN create fails with E_QUOTA naming the metric', async () => {
    const vms = createInstanceDriver(options);
    fake.capacity.quota({ metric: 'PREEMPTIBLE_NVIDIA_A100_GPUS', region: 'us-central1' });
    const desired = await stack('quota').firstVm();
    await expect(vms.create(desired, { ...context, stack: 'quota' })).rejects.toMatchObject({
      code: 'E_QUOTA',
      message: expect.stringContaining("Quota 'PREEMPTIBLE_NVIDIA_A100_GPUS' exceeded"),
    });
  });

  it('GIVEN a spot VM preempted THEN it reads as TERMINATED and a preempted operation records it', async () => {
    const vms = createInstanceDriver(options);
    const desired = await stack('preempt').firstVm();
    const made = await vms.create(desired, { ...context, stack: 'preempt' });
    fake.preempt(PROJECT, ZONE, made.ref.name);
    const read = (await vms.readMany([made.ref], context)).get(made.ref.name)!;
    expect(read.status).toBe('TERMINATED');
    const listed = (await (
      await fetch(`${fake.restUrl}projects/${PROJECT}/zones/${ZONE}/operations`)
    ).json()) as { items: { operationType: string; targetLink: string }[] };
    expect(
      listed.items
        .filter((op) => op.operationType === 'compute.instances.preempted')
        .map((op) => op.targetLink),
    ).toEqual([made.ref.selfLink]);
    await vms.delete(recorded(desired, made), context);
  });

  it('GIVEN the answer to an insert lost after the VM was made THEN the retry with the same requestId makes no second VM', async () => {
    const vms = createInstanceDriver(options);
    const desired = await stack('lost').firstVm();
    fake.faults.add({ method: 'POST', path: /\/zones\/[^/]+\/instances\?/, times: 1, fault: 'reset-after' });
    const made = await vms.create(desired, { ...context, stack: 'lost' });
    expect(made.status).toBe('RUNNING');
    expect(fake.faults.stats.byKind['reset-after']).toBe(1);
    expect(fake.calls.get('POST zones/*/instances')).toBeGreaterThanOrEqual(2);
    expect(
      [...fake.context.instances.keys()].filter((k) => k.endsWith(`/${desired.props.name}`)),
    ).toHaveLength(1);
    await vms.delete(recorded(desired, made), context);
  });

  it('GIVEN 503s on the first two list requests THEN reads are retried and succeed', async () => {
    const vms = createInstanceDriver(options);
    const { workers, get } = stack();
    const desired = get<InstanceProps>(workers.instances[0]!.resourceId);
    fake.faults.add({ method: 'GET', path: /\/instances\?/, nth: 1, times: 2, fault: { status: 503 } });
    const read = await vms.readMany([vms.refOf(desired, context)], context);
    expect(read.size).toBe(0);
    expect(fake.faults.stats.byKind['503']).toBe(2);
  });
});

describe('credentials', () => {
  it('GIVEN the real endpoint and no credentials THEN E_AUTH names `gcloud auth application-default login`', async () => {
    const saved = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = '/nonexistent/strato-test-key.json';
    try {
      const vms = createInstanceDriver({
        endpoints: { compute: 'https://127.0.0.1:9' },
        api: { retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 } },
      });
      const error = await vms
        .readMany([{ project: PROJECT, location: ZONE, name: 'x' }], context)
        .catch((e: unknown) => e);
      expect(error).toMatchObject({
        code: 'E_AUTH',
        hint: expect.stringContaining('gcloud auth application-default login'),
      });
    } finally {
      if (saved === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = saved;
    }
  });
});
