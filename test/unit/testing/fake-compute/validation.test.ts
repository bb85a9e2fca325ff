/**
 * The fake Compute Engine refuses what the service refuses, from its own
 * tables — driven through the real `@google-cloud/compute` client — and its
 * tables agree with Strato's GPU catalog, so a wrong catalog row fails here.
 */

import type { protos } from '@google-cloud/compute';
import { MachineTypesClient } from '@google-cloud/compute/build/src/v1/machine_types_client.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeApi, createComputeApi, operationOf } from '../../../../src/infra/gcp/compute-api.ts';
import { FIXED_GPU_MACHINES, N1_GPU_LIMITS } from '../../../../src/spec/catalog/gpu.ts';
import { type FakeCompute, startFakeCompute } from '../../../../src/testing/fake-compute/index.ts';
import { ZONES } from '../../../../src/testing/fake-compute/tables.ts';

type IInstance = protos.google.cloud.compute.v1.IInstance;

const PROJECT = 'my-project';
const IMAGE =
  'projects/deeplearning-platform-release/global/images/family/common-cu128-ubuntu-2204-nvidia-570';
let fake: FakeCompute;
let api: ComputeApi;

beforeAll(async () => {
  fake = await startFakeCompute({ faults: { operationMs: 0 } });
  api = await createComputeApi({ endpoint: fake.endpoint });
  const result = await api.networks.insert({
    project: PROJECT,
    networkResource: { name: 'default', autoCreateSubnetworks: true },
  });
  await api.waitFor(operationOf(result), { id: 'net', action: 'network', project: PROJECT });
});

afterAll(async () => {
  await api.close();
  await fake.close();
});

let serial = 0;
/** A VM body the service accepts (one L4 on G2), with `change` applied. */
function vm(change: Partial<IInstance> = {}): IInstance {
  return {
    name: `vm-${++serial}`,
    machineType: 'zones/us-central1-a/machineTypes/g2-standard-8',
    scheduling: { onHostMaintenance: 'TERMINATE' },
    disks: [{ boot: true, autoDelete: true, initializeParams: { sourceImage: IMAGE, diskSizeGb: 100 } }],
    networkInterfaces: [{ network: 'global/networks/default' }],
    ...change,
  };
}

async function insert(body: IInstance, zone = 'us-central1-a'): Promise<void> {
  const result = await api.call('insert', PROJECT, () =>
    api.instances.insert({ project: PROJECT, zone, instanceResource: body }),
  );
  await api.waitFor(operationOf(result), { id: 'vm', action: 'insert', project: PROJECT, zone });
}

const N1_STANDARD = [1, 2, 4, 8, 16, 32, 64, 96];

const n1 = (
  machineType: string,
  type: string,
  count: number,
  zone = 'us-central1-a',
): Partial<IInstance> => ({
  machineType: `zones/${zone}/machineTypes/${machineType}`,
  guestAccelerators: [{ acceleratorType: `zones/${zone}/acceleratorTypes/${type}`, acceleratorCount: count }],
});

describe('the fake refuses what Compute Engine refuses', () => {
  it('GIVEN a valid G2 VM THEN it is created and RUNNING', async () => {
    await insert(vm({ name: 'accepted' }));
    const [got] = await api.instances.get({ project: PROJECT, zone: 'us-central1-a', instance: 'accepted' });
    expect(got.status).toBe('RUNNING');
  });

  const rejects: [string, IInstance, string, RegExp][] = [
    ['an unknown zone', vm(), 'us-central1-z', /Invalid value for field 'zone'.*Unknown zone/],
    [
      'a machine type not offered in the zone (A100s are not in us-east1-b)',
      vm({ machineType: 'zones/us-east1-b/machineTypes/a2-highgpu-1g' }),
      'us-east1-b',
      /Machine type with name 'a2-highgpu-1g' does not exist in zone 'us-east1-b'/,
    ],
    [
      '3 T4s on N1 (1, 2 or 4)',
      vm(n1('n1-standard-8', 'nvidia-tesla-t4', 3)),
      'us-central1-a',
      /acceleratorCount.*allowed: 1, 2, 4/,
    ],
    [
      '1 V100 on 16 vCPUs (at most 12)',
      vm(n1('n1-standard-16', 'nvidia-tesla-v100', 1)),
      'us-central1-a',
      /at most 12 vCPUs/,
    ],
    [
      'a GPU not offered in the zone (no V100 in us-east1-b)',
      vm(n1('n1-standard-8', 'nvidia-tesla-v100', 1, 'us-east1-b')),
      'us-east1-b',
      /Accelerator type 'nvidia-tesla-v100' does not exist in zone 'us-east1-b'/,
    ],
    [
      'A2 with extra guestAccelerators',
      vm({ ...n1('a2-highgpu-1g', 'nvidia-tesla-a100', 1) }),
      'us-central1-a',
      /comes with 1 nvidia-tesla-a100; guestAccelerators must be empty/,
    ],
    [
      'G2 with extra guestAccelerators',
      vm({ guestAccelerators: [{ acceleratorType: 'nvidia-l4', acceleratorCount: 1 }] }),
      'us-central1-a',
      /g2-standard-8 comes with 1 nvidia-l4/,
    ],
    [
      'GPUs on an E2 machine',
      vm(n1('e2-standard-4', 'nvidia-tesla-t4', 1)),
      'us-central1-a',
      /does not support accelerators/,
    ],
    [
      'GPUs that would live-migrate',
      vm({ scheduling: { onHostMaintenance: 'MIGRATE' } }),
      'us-central1-a',
      /do not support live migration/,
    ],
    [
      'GPUs with the default maintenance policy (MIGRATE)',
      vm({ scheduling: {} }),
      'us-central1-a',
      /do not support live migration/,
    ],
    [
      'an upper-case name',
      vm({ name: 'Trainer-1' }),
      'us-central1-a',
      /resource.name.*Must be a match of regex/,
    ],
    ['a name starting with a digit', vm({ name: '1-trainer' }), 'us-central1-a', /resource.name/],
    ['a name of 64 characters', vm({ name: `a${'b'.repeat(63)}` }), 'us-central1-a', /resource.name/],
    [
      'an unknown image family',
      vm({
        disks: [
          {
            boot: true,
            initializeParams: {
              sourceImage: 'projects/deeplearning-platform-release/global/images/family/tf-9-99',
            },
          },
        ],
      }),
      'us-central1-a',
      /family\/tf-9-99' was not found/,
    ],
    [
      'a boot disk smaller than its image',
      vm({ disks: [{ boot: true, initializeParams: { sourceImage: IMAGE, diskSizeGb: 10 } }] }),
      'us-central1-a',
      /cannot be smaller than the image size/,
    ],
    [
      'maxRunDuration without a termination action',
      vm({ scheduling: { onHostMaintenance: 'TERMINATE', maxRunDuration: { seconds: 3600 } } }),
      'us-central1-a',
      /instanceTerminationAction.*Required when maxRunDuration/,
    ],
    [
      'a network that does not exist',
      vm({ networkInterfaces: [{ network: 'global/networks/nowhere' }] }),
      'us-central1-a',
      /global\/networks\/nowhere' was not found/,
    ],
  ];

  it.each(rejects)('GIVEN %s THEN the insert is refused', async (_what, body, zone, message) => {
    const error = await insert(body, zone).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(message);
    expect(['E_INVALID_REQUEST', 'E_NOT_FOUND']).toContain((error as { code: string }).code);
    expect(fake.context.instances.has(`${PROJECT}/${zone}/${body.name}`)).toBe(false);
  });

  it('GIVEN a VM name already taken THEN the second insert is refused with alreadyExists', async () => {
    await insert(vm({ name: 'taken' }));
    await expect(insert(vm({ name: 'taken' }))).rejects.toMatchObject({
      code: 'E_CONFLICT',
      message: /already exists/,
    });
  });
});

describe("the fake's tables agree with Strato's GPU catalog", () => {
  let machineTypes: MachineTypesClient;
  beforeAll(() => {
    machineTypes = new MachineTypesClient({
      apiEndpoint: '127.0.0.1',
      port: Number(new URL(fake.endpoint).port),
      protocol: 'http',
      auth: {
        getRequestHeaders: async () => new Headers(),
        fetch: (url: string, init: RequestInit) => fetch(url, init),
      },
    } as unknown as ConstructorParameters<typeof MachineTypesClient>[0]);
  });
  afterAll(() => machineTypes.close());

  it.each(
    FIXED_GPU_MACHINES.filter(
      (m) => !m.machineType.startsWith('a3-megagpu') && !m.machineType.startsWith('a3-ultragpu'),
    ),
  )('catalog row $machineType = $count × $gpu matches the service', async (row) => {
    const zone = ZONES.find((z) => z.accelerators.includes(row.gpu))!;
    const [type] = await machineTypes.get({
      project: PROJECT,
      zone: zone.name,
      machineType: row.machineType,
    });
    expect(type.accelerators?.[0]).toMatchObject({
      guestAcceleratorType: row.gpu,
      guestAcceleratorCount: row.count,
    });
    expect(type.guestCpus).toBe(row.vcpus);
  });

  const n1Rows = Object.entries(N1_GPU_LIMITS).flatMap(([gpu, counts]) =>
    Object.entries(counts).map(([count, { maxVcpus }]) => ({ gpu, count: Number(count), maxVcpus })),
  );
  it.each(n1Rows)(
    'catalog N1 limit: $count × $gpu up to $maxVcpus vCPUs is accepted, more is refused',
    async (row) => {
      const zone = ZONES.find((z) => z.accelerators.includes(row.gpu))!.name;
      // The largest predefined N1 shape within the limit, and the next one up.
      const fits = N1_STANDARD.filter((n) => n <= row.maxVcpus).at(-1)!;
      const larger = N1_STANDARD.find((n) => n > row.maxVcpus);
      await insert(
        vm({ ...n1(`n1-standard-${fits}`, row.gpu, row.count, zone), name: `fits-${++serial}` }),
        zone,
      );
      if (larger) {
        await expect(insert(vm(n1(`n1-standard-${larger}`, row.gpu, row.count, zone)), zone)).rejects.toThrow(
          /at most/,
        );
      }
    },
  );
});
