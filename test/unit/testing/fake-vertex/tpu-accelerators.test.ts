/**
 * TPU VM machine types on the fake Vertex, through the stock JobServiceClient:
 * an accelerator set on one must be the type and per-VM chip count the
 * machine type carries (the fake's own table); leaving it unset is fine.
 */

import type { v1 } from '@google-cloud/aiplatform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVertex, startFakeVertex } from '../../../../src/testing/fake-vertex/index.ts';
import {
  customJob,
  FAST_TIMING,
  jobServiceClient,
  nodeCommand,
  PARENT,
} from '../../../support/fake-vertex.ts';

let fake: FakeVertex;
let client: v1.JobServiceClient;

beforeAll(async () => {
  fake = await startFakeVertex({ timing: FAST_TIMING });
  client = jobServiceClient(fake);
});

afterAll(async () => {
  await client.close();
  await fake.close();
});

function tpuPool(machineSpec: Record<string, unknown>) {
  return {
    machineSpec: { tpuTopology: '2x2', ...machineSpec },
    replicaCount: 1,
    containerSpec: { imageUri: 'us-docker.pkg.dev/p/r/t:1', command: nodeCommand('') },
  };
}

const create = (machineSpec: Record<string, unknown>) =>
  client.createCustomJob({ parent: PARENT, customJob: customJob([tpuPool(machineSpec)]) as never });

describe('TPU VM accelerators on the fake Vertex', () => {
  it('refuses 8 TPU_V5_LITEPOD on the 4-chip ct5lp-hightpu-4t', async () => {
    await expect(
      create({ machineType: 'ct5lp-hightpu-4t', acceleratorType: 'TPU_V5_LITEPOD', acceleratorCount: 8 }),
    ).rejects.toMatchObject({
      code: 3,
      details: expect.stringContaining('Machine type "ct5lp-hightpu-4t" comes with 4 TPU_V5_LITEPOD; got 8'),
    });
  });

  it('refuses a GPU on a TPU VM', async () => {
    await expect(
      create({ machineType: 'ct5lp-hightpu-4t', acceleratorType: 'NVIDIA_TESLA_T4', acceleratorCount: 1 }),
    ).rejects.toMatchObject({ code: 3, details: expect.stringContaining('got 1 of NVIDIA_TESLA_T4') });
    await expect(
      create({ machineType: 'ct6e-standard-4t', acceleratorType: 'TPU_V5_LITEPOD', acceleratorCount: 4 }),
    ).rejects.toMatchObject({ code: 3 });
  });

  it('accepts the machine type with its own accelerator, or with none', async () => {
    const [withOwn] = await create({
      machineType: 'ct5lp-hightpu-4t',
      acceleratorType: 'TPU_V5_LITEPOD',
      acceleratorCount: 4,
    });
    const [withNone] = await create({ machineType: 'ct6e-standard-4t' });
    expect(withOwn.name).toMatch(/customJobs\/\d+$/);
    expect(withNone.name).toMatch(/customJobs\/\d+$/);
  });
});
