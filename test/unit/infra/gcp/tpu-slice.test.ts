/**
 * The TpuSlice construct: props checked at construction against Strato's
 * TPU catalog (type ↔ zone ↔ runtime), every problem at once with path,
 * value, allowed values and fix; stack defaults applied; the example stack
 * builds into one desired `tpu.queued-resource`, which the fake Cloud TPU
 * accepts as is (so a catalog row the service would refuse fails here).
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpecError } from '../../../../src/errors.ts';
import { desiredResources, Stack } from '../../../../src/infra/construct.ts';
import type { TpuClient } from '../../../../src/infra/gcp/tpu-client.ts';
import { createTpuQueuedResourceDriver } from '../../../../src/infra/gcp/tpu-queued-resource.ts';
import { TpuSlice } from '../../../../src/infra/gcp/tpu-slice.ts';
import type { TpuSliceProps } from '../../../../src/infra/gcp/tpu-slice-props.ts';
import type { DesiredResource } from '../../../../src/infra/types.ts';
import { TPU_GENERATIONS } from '../../../../src/spec/catalog/tpu.ts';
import { TPU_ZONES } from '../../../../src/spec/catalog/tpu-zones.ts';
import type { FakeTpu } from '../../../../src/testing/fake-tpu/index.ts';
import { driverContext, startFastFakeTpu } from '../../../support/fake-tpu.ts';

const stackAt = (zone = 'us-central2-b') =>
  new Stack('s', { project: 'my-project', zone, labels: { owner: 'ml' } });

function problems(build: () => unknown): SpecError['issues'] {
  try {
    build();
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected a SpecError');
}

describe('TpuSlice props', () => {
  it('takes the stack project, zone and labels, and defaults the rest', () => {
    const slice = new TpuSlice(stackAt(), 'train', {
      acceleratorType: 'v4-32',
      runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
    });
    expect(slice.kind).toBe('tpu.queued-resource');
    expect(slice.props).toMatchObject({
      project: 'my-project',
      zone: 'us-central2-b',
      provisioning: 'guaranteed',
      labels: { owner: 'ml' },
      enableExternalIps: false,
    });
  });

  it('reports every problem at once, each with its path, value, allowed values and fix', () => {
    const issues = problems(
      () =>
        new TpuSlice(stackAt('us-central1-a'), 'train', {
          acceleratorType: 'v4-32',
          runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt',
          reservationName: 'r',
        }),
    );
    expect(issues.map((i) => i.path)).toEqual(['zone', 'runtimeVersion', 'reservationName']);
    expect(issues[0]).toMatchObject({ received: 'us-central1-a', allowed: ['us-central2-b'] });
    expect(issues[1]?.message).toMatch(/-pod/);
    expect(issues[1]?.fix).toMatch(/tpu-vm-tf-2.16.1-pod-pjrt/);
    expect(issues.every((i) => i.fix)).toBe(true);
  });

  it('suggests close slice types for an unknown one and checks type + topology', () => {
    const [unknown] = problems(
      () =>
        new TpuSlice(stackAt(), 'a', {
          acceleratorType: 'v4-30',
          runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
        }),
    );
    expect(unknown).toMatchObject({ path: 'acceleratorType', received: 'v4-30' });
    expect(unknown?.allowed).toContain('v4-32');
    const [topology] = problems(
      () =>
        new TpuSlice(stackAt(), 'b', {
          generation: 'v4',
          topology: '3x3x3',
          runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
        }),
    );
    expect(topology).toMatchObject({ path: 'topology', received: '3x3x3' });
    expect(topology?.allowed).toContain('2x2x4');
    const [both] = problems(
      () =>
        new TpuSlice(stackAt(), 'c', {
          acceleratorType: 'v4-32',
          generation: 'v4',
          topology: '2x2x4',
          runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
        }),
    );
    expect(both?.path).toBe('acceleratorType');
  });

  it('reports schema problems (zone, labels, provisioning) with field paths', () => {
    const issues = problems(
      () =>
        new TpuSlice(stackAt(), 'x', {
          zone: 'central',
          acceleratorType: 'v4-32',
          runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
          provisioning: 'cheap' as never,
          labels: { Team: 'ml' },
        }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(['labels.Team', 'provisioning', 'zone']);
  });

  it('builds the example stack into one desired spot v4-32 queued resource, running as its account', async () => {
    const { stack } = await import('../../../../infra/tpu-pod-slice.ts');
    const all = desiredResources(stack);
    const [resource, ...rest] = all.filter((r) => r.kind === 'tpu.queued-resource');
    expect(rest).toEqual([]);
    expect(all.filter((r) => r.kind !== 'tpu.queued-resource').map((r) => r.id)).toEqual([
      'workers',
      'workers/logging.logWriter',
      'workers/monitoring.metricWriter',
      'workers/tpu.viewer',
      'data',
      'data-access',
    ]);
    expect(resource!.dependsOn).toEqual([
      'workers',
      'workers/logging.logWriter',
      'workers/monitoring.metricWriter',
      'workers/tpu.viewer',
    ]);
    expect(resource).toMatchObject({
      id: 'train',
      kind: 'tpu.queued-resource',
      props: {
        acceleratorType: 'v4-32',
        provisioning: 'spot',
        zone: 'us-central2-b',
        labels: { team: 'ml' },
        serviceAccount: 'tpu-pod-slice-workers@my-project.iam.gserviceaccount.com',
      },
    });
  });
});

describe("Strato's TPU catalog against the fake Cloud TPU's own tables", () => {
  let fake: FakeTpu;
  let client: TpuClient;
  beforeAll(async () => {
    ({ fake, client } = await startFastFakeTpu());
  });
  afterAll(async () => {
    await client.close();
    await fake.close();
  });

  it('every slice the catalog offers in a zone is one the service offers there, with the runtime Strato suggests', async () => {
    const driver = createTpuQueuedResourceDriver({ client, pollIntervalMs: 10 });
    const context = driverContext('catalog', { noWait: true });
    const refused: string[] = [];
    for (const generation of TPU_GENERATIONS) {
      for (const zone of TPU_ZONES[generation.id]) {
        for (const slice of generation.slices) {
          const runtimeVersion = `tpu-vm-tf-2.16.1${slice.hosts > 1 ? '-pod' : ''}-pjrt`;
          // The construct accepts it (catalog), then the service must too (the fake's tables).
          const built = new TpuSlice(stackAt(zone), `${generation.id}-${slice.name}`, {
            acceleratorType: slice.name,
            runtimeVersion,
          });
          const resource: DesiredResource<TpuSliceProps> = {
            id: built.resourceId,
            kind: built.kind,
            props: built.props,
            dependsOn: [],
          };
          await driver
            .create(resource, context)
            .catch((e: Error) => refused.push(`${slice.name} in ${zone}: ${e.message}`));
        }
      }
    }
    expect(refused).toEqual([]);
  }, 120_000);

  it('every catalog slice has the topology the service reports for its type', async () => {
    const wrong: string[] = [];
    for (const generation of TPU_GENERATIONS) {
      const parent = `projects/my-project/locations/${TPU_ZONES[generation.id][0]}`;
      for (const slice of generation.slices) {
        const [type] = await client.getAcceleratorType({ name: `${parent}/acceleratorTypes/${slice.name}` });
        const topology = type.acceleratorConfigs?.[0]?.topology;
        if (topology !== slice.topology)
          wrong.push(`${slice.name}: catalog ${slice.topology}, service ${topology}`);
      }
    }
    expect(wrong).toEqual([]);
  });
});
