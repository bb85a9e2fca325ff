/**
 * The fake Compute Engine's operations and lifecycle through the real
 * client: slow operations (RUNNING until their time is up, `wait` returning
 * when they are DONE or at its cap), an insert repeated with its requestId
 * making one VM, stop and start, aggregatedList, and the catalog lists.
 */

import { AcceleratorTypesClient } from '@google-cloud/compute/build/src/v1/accelerator_types_client.js';
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client.js';
import { ZonesClient } from '@google-cloud/compute/build/src/v1/zones_client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeApi, createComputeApi, operationOf } from '../../../../src/infra/gcp/compute-api.ts';
import { type FakeCompute, startFakeCompute } from '../../../../src/testing/fake-compute/index.ts';

const PROJECT = 'ops-project';
const ZONE = 'us-central1-b';
let fake: FakeCompute;
let api: ComputeApi;
let zoneOperations: ZoneOperationsClient;

/** A client of another service on the same fake, with no credentials (what compute-api does for its own). */
function clientOptions() {
  return {
    apiEndpoint: '127.0.0.1',
    port: Number(new URL(fake.endpoint).port),
    protocol: 'http',
    auth: {
      getRequestHeaders: async () => new Headers(),
      fetch: (url: string, init: RequestInit) => fetch(url, init),
    },
  } as unknown as ConstructorParameters<typeof ZonesClient>[0];
}

beforeAll(async () => {
  fake = await startFakeCompute({ faults: { operationMs: 0 }, waitCapMs: 200 });
  api = await createComputeApi({ endpoint: fake.endpoint });
  zoneOperations = new ZoneOperationsClient(clientOptions());
  const result = await api.networks.insert({
    project: PROJECT,
    networkResource: { name: 'default', autoCreateSubnetworks: true },
  });
  await api.waitFor(operationOf(result), { id: 'net', action: 'network', project: PROJECT });
});
afterAll(async () => {
  await zoneOperations.close();
  await api.close();
  await fake.close();
});

const body = (name: string) => ({
  name,
  machineType: `zones/${ZONE}/machineTypes/n1-standard-4`,
  guestAccelerators: [{ acceleratorType: 'nvidia-tesla-t4', acceleratorCount: 1 }],
  scheduling: { onHostMaintenance: 'TERMINATE' },
  disks: [
    { boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } },
  ],
});

describe('operations', () => {
  it('GIVEN slow operations THEN an insert is RUNNING (the VM STAGING) until its time is up, and `wait` holds until DONE', async () => {
    fake.capacity.operationMs = 400;
    try {
      const operation = operationOf(
        await api.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: body('slow') }),
      );
      expect(operation.status).toBe('RUNNING');
      const [vm] = await api.instances.get({ project: PROJECT, zone: ZONE, instance: 'slow' });
      expect(vm.status).toBe('STAGING');
      // The wait cap (200 ms here, about two minutes on the service) answers first, still RUNNING.
      const [capped] = await zoneOperations.wait({
        project: PROJECT,
        zone: ZONE,
        operation: operation.name!,
      });
      expect(capped.status).toBe('RUNNING');
      const [done] = await zoneOperations.wait({ project: PROJECT, zone: ZONE, operation: operation.name! });
      expect(done.status).toBe('DONE');
      const [got] = await zoneOperations.get({ project: PROJECT, zone: ZONE, operation: operation.name! });
      expect(got).toMatchObject({ status: 'DONE', progress: 100, operationType: 'insert' });
      expect((await api.instances.get({ project: PROJECT, zone: ZONE, instance: 'slow' }))[0].status).toBe(
        'RUNNING',
      );
    } finally {
      fake.capacity.operationMs = 0;
    }
  });

  it('GIVEN an insert sent twice with one requestId THEN one VM is made and both answers name one operation', async () => {
    const first = operationOf(
      await api.instances.insert({
        project: PROJECT,
        zone: ZONE,
        requestId: 'req-1',
        instanceResource: body('once'),
      }),
    );
    const second = operationOf(
      await api.instances.insert({
        project: PROJECT,
        zone: ZONE,
        requestId: 'req-1',
        instanceResource: body('once'),
      }),
    );
    expect(second.name).toBe(first.name);
    expect([...fake.context.instances.keys()].filter((k) => k.endsWith('/once'))).toHaveLength(1);
  });

  it('stops and starts a VM', async () => {
    await api.waitFor(
      operationOf(
        await api.instances.insert({ project: PROJECT, zone: ZONE, instanceResource: body('cycle') }),
      ),
      { id: 'vm', action: 'insert', project: PROJECT },
    );
    await api.waitFor(
      operationOf(await api.instances.stop({ project: PROJECT, zone: ZONE, instance: 'cycle' })),
      { id: 'vm', action: 'stop', project: PROJECT },
    );
    expect((await api.instances.get({ project: PROJECT, zone: ZONE, instance: 'cycle' }))[0].status).toBe(
      'TERMINATED',
    );
    await api.waitFor(
      operationOf(await api.instances.start({ project: PROJECT, zone: ZONE, instance: 'cycle' })),
      { id: 'vm', action: 'start', project: PROJECT },
    );
    expect((await api.instances.get({ project: PROJECT, zone: ZONE, instance: 'cycle' }))[0].status).toBe(
      'RUNNING',
    );
  });

  it('lists every zone in one aggregatedList, with a warning for zones without VMs', async () => {
    const scopes = new Map<string, { instances?: unknown[] | null; warning?: { code?: unknown } | null }>();
    for await (const [scope, list] of api.instances.aggregatedListAsync({ project: PROJECT }))
      scopes.set(scope, list);
    expect(scopes.get(`zones/${ZONE}`)?.instances?.length).toBeGreaterThanOrEqual(3);
    expect(scopes.get('zones/europe-west4-a')?.warning?.code).toBe('NO_RESULTS_ON_PAGE');
  });
});

describe('what zones offer', () => {
  it('lists zones and the accelerator types of one', async () => {
    const zones = new ZonesClient(clientOptions());
    const accelerators = new AcceleratorTypesClient(clientOptions());
    try {
      const [listed] = await zones.list({ project: PROJECT });
      expect(listed.map((z) => z.name)).toContain('us-central1-a');
      const [types] = await accelerators.list({ project: PROJECT, zone: 'us-east1-d' });
      expect(types.map((t) => t.name)).toEqual(['nvidia-tesla-t4']);
      await expect(
        accelerators.get({ project: PROJECT, zone: 'us-east1-d', acceleratorType: 'nvidia-tesla-a100' }),
      ).rejects.toThrow(/was not found/);
    } finally {
      await zones.close();
      await accelerators.close();
    }
  });
});
