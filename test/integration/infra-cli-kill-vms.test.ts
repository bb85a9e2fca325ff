/**
 * `strato infra deploy` of a machine stack — a Network, a Firewall rule and
 * two GPU VMs on the fake Compute Engine — SIGKILLed at every resource
 * boundary, both just after the cloud accepted a resource's insert (before
 * the state could record it) and just after the state recorded it. Each
 * kill is followed by a run that must take over what the killed one left
 * (and is itself killed at the next boundary); the last run converges:
 * everything recorded, and exactly one of each in the cloud, listed with
 * the real @google-cloud/compute client. Nine CLI runs in all.
 * (infra-cli.test.ts does the same for a bucket stack.)
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComputeApi, createComputeApi } from '../../src/infra/gcp/compute-api.ts';
import { type FakeCompute, startFakeCompute } from '../../src/testing/fake-compute/index.ts';
import { STRATO_SOURCES, stackFolder } from '../support/infra.ts';
import { type StratoProcess, spawnStrato } from '../support/local.ts';

const PROJECT = 'proj';
const ZONE = 'us-central1-a';
const STACK = [
  `import { Firewall, GpuVms, Network, Stack } from ${JSON.stringify(STRATO_SOURCES)};`,
  `const stack = new Stack('vm-kill', { project: '${PROJECT}', zone: '${ZONE}' });`,
  "const network = new Network(stack, 'net');",
  "const vms = new GpuVms(stack, 'vms', { count: 2, machineType: 'g2-standard-8', network });",
  "new Firewall(stack, 'tf', { network, targetTags: [vms.tag] });",
  'export default stack;',
].join('\n');
const IDS = ['net', 'tf', 'vms/vms-0', 'vms/vms-1'];
/** An insert of a network, a firewall rule or a VM: the cloud has taken one resource on. */
const INSERT =
  /^\/compute\/v1\/projects\/[^/]+\/(global\/(networks|firewalls)|zones\/[^/]+\/instances)(\?|$)/;

// Nine `strato infra deploy` processes in a row: 40 s alone, several times that on a busy machine.
describe('strato infra deploy of a VM stack, SIGKILLed at each resource boundary', {
  timeout: 300_000,
}, () => {
  let fake: FakeCompute;
  let compute: ComputeApi;
  let inserted: () => void = () => {};
  const folder = stackFolder();

  beforeAll(async () => {
    fake = await startFakeCompute({
      faults: { operationMs: 5 },
      onRequest: (entry) => {
        if (entry.method === 'POST' && INSERT.test(entry.url)) inserted();
      },
    });
    compute = await createComputeApi({ endpoint: fake.endpoint });
    folder.write('vm-kill.ts', STACK);
  });
  afterAll(async () => {
    await compute?.close();
    await fake?.close();
    folder.remove();
  });

  function deploy(statePath: string): StratoProcess {
    return spawnStrato(
      ['infra', 'deploy', 'vm-kill.ts', '--yes', '--parallelism', '1', '--state', statePath],
      {
        cwd: folder.dir,
        env: { ...process.env, STRATO_COMPUTE_ENDPOINT: fake.endpoint },
        until: 'close',
      },
    );
  }

  /** The stack's resources in the fake, listed with the real client: names of each kind, duplicates kept. */
  async function listed(): Promise<Record<string, string[]>> {
    const [instances] = await compute.instances.list({ project: PROJECT, zone: ZONE });
    const [networks] = await compute.networks.list({ project: PROJECT });
    const [firewalls] = await compute.firewalls.list({ project: PROJECT });
    const names = (items: { name?: string | null }[]) => items.map((item) => item.name ?? '').sort();
    return { instances: names(instances), networks: names(networks), firewalls: names(firewalls) };
  }

  const recorded = (statePath: string): string[] => {
    try {
      return (JSON.parse(readFileSync(statePath, 'utf8')) as { resources: { id: string }[] }).resources
        .map((r) => r.id)
        .sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
  };

  /**
   * One deploy, SIGKILLed at the first insert the cloud accepts (`accepted`: the resource exists,
   * the state cannot have recorded it yet) or once `id` is reported created (`recorded`).
   */
  async function deployKilled(statePath: string, when: 'accepted' | 'recorded', id: string): Promise<void> {
    const running = deploy(statePath);
    const kill = () => {
      if (running.child.exitCode === null) running.child.kill('SIGKILL');
    };
    if (when === 'accepted') inserted = kill;
    else running.child.stderr?.on('data', () => running.output().includes(`${id}: created`) && kill());
    const code = await running.exited;
    inserted = () => {};
    expect(code, running.output()).toBeNull();
  }

  it('killed before and after the state write of every resource in turn, each rerun picks up where the last stopped, with no duplicate', async () => {
    const statePath = join(folder.dir, 'state.json');
    // With --parallelism 1 the order is fixed: the network, the VMs, then the rule that targets them.
    const order = ['net', 'vms/vms-0', 'vms/vms-1', 'tf'];
    for (const [index, id] of order.entries()) {
      // Every kill is followed by a run that must take over what the last one left: the next kill is in it.
      await deployKilled(statePath, 'accepted', id);
      // Resource `index` was in flight: the ones before it recorded, it too only if its save won the race.
      expect(recorded(statePath).length).toBeGreaterThanOrEqual(index);
      expect(recorded(statePath).length).toBeLessThanOrEqual(index + 1);
      expect(duplicates(await listed())).toEqual([]);

      await deployKilled(statePath, 'recorded', id);
      expect(recorded(statePath)).toEqual(expect.arrayContaining(order.slice(0, index + 1)));
      expect(duplicates(await listed())).toEqual([]);
    }
    const last = deploy(statePath);
    expect(await last.exited, last.output()).toBe(0);
    expect(recorded(statePath)).toEqual(IDS);
    expect(await listed()).toEqual({
      instances: ['vm-kill-vms-vms-0', 'vm-kill-vms-vms-1'],
      networks: ['vm-kill-net'],
      firewalls: ['vm-kill-tf'],
    });
  });
});

/** Names listed more than once. */
function duplicates(listing: Record<string, string[]>): string[] {
  return Object.values(listing).flatMap((names) => names.filter((name, i) => names.indexOf(name) !== i));
}
