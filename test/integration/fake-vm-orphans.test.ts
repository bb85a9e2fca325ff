/**
 * No fake VM outlives its fake, even when the process running the fake is
 * killed with SIGKILL and closes nothing: each VM's watchman sees its pipe to
 * that process end and takes the VM's process group down.
 */

import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { processesInGroups } from '../support/fake-vms.ts';
import { tempDir, waitFor } from '../support/local.ts';

const dir = tempDir('strato-vm-orphans-');
afterAll(() => dir.remove());

const FAKE_COMPUTE = new URL('../../src/testing/fake-compute/index.ts', import.meta.url).href;

/** A Node process that runs a booting fake Compute with one VM, and prints that VM's process group. */
const HOST = `
const { startFakeCompute } = await import(${JSON.stringify(FAKE_COMPUTE)});
const fake = await startFakeCompute({ boot: { dir: process.argv[1], graceMs: 1000 }, faults: { operationMs: 5 } });
const post = (path, body) => fetch(fake.restUrl + 'projects/p/' + path, {
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
});
await post('global/networks', { name: 'default', autoCreateSubnetworks: true });
await new Promise((r) => setTimeout(r, 100));
await post('zones/us-central1-a/instances', {
  name: 'orphan-candidate',
  machineType: 'zones/us-central1-a/machineTypes/n1-standard-4',
  disks: [{ boot: true, initializeParams: { sourceImage: 'projects/debian-cloud/global/images/family/debian-12' } }],
  metadata: { items: [{ key: 'startup-script', value: 'sleep 300 & sleep 301 & wait' }] },
});
for (;;) {
  const [id] = fake.fleet.running();
  if (id) { console.log(fake.fleet.pidOf(id)); break; }
  await new Promise((r) => setTimeout(r, 20));
}
setInterval(() => {}, 1000);
`;

describe('a fake whose process is killed', () => {
  it('GIVEN a booted VM WHEN the process running the fake gets SIGKILL THEN every process of the VM ends', async () => {
    const host = spawn(process.execPath, ['--input-type=module', '-e', HOST, dir.path], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise((resolve) => host.once('exit', resolve));
    const lines = createInterface({ input: host.stdout! })[Symbol.asyncIterator]();
    const group = Number((await lines.next()).value);
    expect(group).toBeGreaterThan(0);
    // The script and its two sleeps, and the watchman.
    await waitFor(() => processesInGroups([group]).length >= 3, 'the VM processes to start');
    host.kill('SIGKILL');
    await exited;
    await waitFor(() => processesInGroups([group]).length === 0, 'no process of the VM left', 10_000);
  });
});
