/**
 * `gcloud compute` (Python, its own REST client) against the fake Compute
 * Engine, after the example stack's network, firewall rule and VMs were
 * created by Strato's drivers: list, describe, and a change made with
 * gcloud that Strato then reads as drift. Needs gcloud (test/README.md says
 * how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import gpuVmsStack from '../../infra/gpu-vms.ts';
import { desiredResources } from '../../src/infra/construct.ts';
import { createFirewallDriver } from '../../src/infra/gcp/firewall-driver.ts';
import type { InstanceProps } from '../../src/infra/gcp/index.ts';
import { createInstanceDriver } from '../../src/infra/gcp/instance-driver.ts';
import { createNetworkDriver } from '../../src/infra/gcp/network-driver.ts';
import type { ActualResource, DesiredResource, DriverContext } from '../../src/infra/types.ts';
import { type FakeCompute, startFakeCompute } from '../../src/testing/fake-compute/index.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');
const run = promisify(execFile);
const PROJECT = 'my-project';

let fake: FakeCompute;
let configDir: string;
const vms: ActualResource<InstanceProps>[] = [];
let vmDesired: DesiredResource<InstanceProps>[];
const context: DriverContext = { stack: 'gpu-vms', project: PROJECT, outputsOf: () => ({}) };

beforeAll(async () => {
  fake = await startFakeCompute({ faults: { operationMs: 5 } });
  configDir = mkdtempSync(join(tmpdir(), 'strato-gcloud-'));
  const options = { endpoints: { compute: fake.endpoint }, pollMs: 10 };
  const saved = process.env.STRATO_PROJECT;
  process.env.STRATO_PROJECT = PROJECT;
  const resources = desiredResources(gpuVmsStack());
  if (saved === undefined) delete process.env.STRATO_PROJECT;
  else process.env.STRATO_PROJECT = saved;
  const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
  await createNetworkDriver(options).create(byKind('compute.network')[0] as never, context);
  await createFirewallDriver(options).create(byKind('compute.firewall')[0] as never, context);
  vmDesired = byKind('compute.instance') as unknown as DesiredResource<InstanceProps>[];
  const driver = createInstanceDriver(options);
  for (const vm of vmDesired) vms.push(await driver.create(vm, context));
});

afterAll(async () => {
  await fake.close();
  rmSync(configDir, { recursive: true, force: true });
});

/** gcloud pointed at the fake: a throwaway config, no credentials, the Compute endpoint overridden. */
async function gcloud(...args: string[]): Promise<unknown> {
  const { stdout } = await run('gcloud', [...args, '--format=json'], {
    timeout: 60_000,
    env: {
      ...process.env,
      CLOUDSDK_CONFIG: configDir,
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_API_ENDPOINT_OVERRIDES_COMPUTE: fake.restUrl,
      CLOUDSDK_CORE_PROJECT: PROJECT,
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    },
  });
  return JSON.parse(stdout || 'null');
}

describe('gcloud compute against the fake Compute Engine', () => {
  it('lists the VMs Strato made (`gcloud compute instances list`)', async () => {
    const listed = (await gcloud('compute', 'instances', 'list')) as {
      name: string;
      status: string;
      machineType: string;
      zone: string;
    }[];
    expect(listed.map((vm) => vm.name).sort()).toEqual([
      'gpu-vms-workers-worker-0',
      'gpu-vms-workers-worker-1',
    ]);
    expect(listed.every((vm) => vm.status === 'RUNNING' && vm.machineType.endsWith('/a2-highgpu-1g'))).toBe(
      true,
    );
    expect(listed[0]!.zone).toMatch(/\/zones\/us-central1-a$/);
  });

  it('describes one (`gcloud compute instances describe`): spot, no live migration, the stack label', async () => {
    const vm = (await gcloud(
      'compute',
      'instances',
      'describe',
      'gpu-vms-workers-worker-0',
      '--zone=us-central1-a',
    )) as {
      scheduling: Record<string, unknown>;
      labels: Record<string, string>;
      tags: { items: string[] };
      metadata: { items: { key: string; value: string }[] };
    };
    expect(vm.scheduling).toMatchObject({
      provisioningModel: 'SPOT',
      onHostMaintenance: 'TERMINATE',
      instanceTerminationAction: 'STOP',
      maxRunDuration: { seconds: '86400' },
    });
    expect(vm.labels).toEqual({ team: 'ml', 'strato-stack': 'gpu-vms' });
    expect(vm.tags.items).toEqual(['gpu-vms-workers']);
    expect(vm.metadata.items.map((item) => item.key)).toEqual(['startup-script']);
  });

  it('lists the network and the firewall rule (`networks list`, `firewall-rules list`)', async () => {
    const networks = (await gcloud('compute', 'networks', 'list')) as {
      name: string;
      autoCreateSubnetworks: boolean;
    }[];
    expect(networks).toMatchObject([{ name: 'gpu-vms-net', autoCreateSubnetworks: true }]);
    const rules = (await gcloud('compute', 'firewall-rules', 'list')) as {
      name: string;
      allowed: { IPProtocol: string; ports: string[] }[];
      sourceRanges: string[];
      targetTags: string[];
    }[];
    expect(rules).toMatchObject([
      {
        name: 'gpu-vms-tf-port',
        allowed: [{ IPProtocol: 'tcp', ports: ['2222'] }],
        sourceRanges: ['10.128.0.0/9'],
        targetTags: ['gpu-vms-workers'],
      },
    ]);
  });

  it('GIVEN a label changed with gcloud THEN Strato reads the drift, and puts the label back in place', async () => {
    await gcloud(
      'compute',
      'instances',
      'add-labels',
      'gpu-vms-workers-worker-1',
      '--zone=us-central1-a',
      '--labels=team=vision',
    );
    const driver = createInstanceDriver({ endpoints: { compute: fake.endpoint }, pollMs: 10 });
    const desired = vmDesired[1]!;
    const actual = (await driver.readMany([vms[1]!.ref], context)).get(vms[1]!.ref.name)!;
    const drift = driver.diff(desired.props, { ...desired.props, ...actual.props });
    expect(drift).toEqual([{ path: 'labels.team', from: 'ml', to: 'vision', forcesReplace: false }]);
    await driver.update(
      desired,
      actual,
      driver.diff({ ...desired.props, ...actual.props }, desired.props),
      context,
    );
    const described = (await gcloud(
      'compute',
      'instances',
      'describe',
      'gpu-vms-workers-worker-1',
      '--zone=us-central1-a',
    )) as { labels: Record<string, string> };
    expect(described.labels).toEqual({ team: 'ml', 'strato-stack': 'gpu-vms' });
  });
});
