/**
 * A test stand-in for VMs that boot: it watches a fake Compute Engine's
 * instances and, for each one that reaches RUNNING with Strato's metadata
 * (`agent/layout.ts`), does what the startup script does on a
 * real VM — runs the replica's command (`sh -c …`, no docker) with its env,
 * writes `<host>.boot.json`, rewrites `<replica>.log` as output comes and
 * writes `<replica>.exit.json` at the end, through the real
 * `@google-cloud/storage` client into the fake Cloud Storage. A VM that is
 * stopped (preempted) or deleted has its process killed and writes nothing
 * more, as a VM that loses power. Only the provider's side is under test
 * here: the real startup script and booting fakes are tested on their own.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { Storage } from '@google-cloud/storage';
import { type MachineLaunch, METADATA_KEYS } from '../../src/agent/layout.ts';
import type { FakeCompute } from '../../src/testing/fake-compute/index.ts';
import type { FakeTpu } from '../../src/testing/fake-tpu/index.ts';

interface Running {
  child: ChildProcess;
  killed: boolean;
}

type Json = Record<string, unknown>;

function metadataOf(instance: Json): Record<string, string> {
  const items = ((instance.metadata as Json | undefined)?.items ?? []) as { key: string; value: string }[];
  return Object.fromEntries(items.map((i) => [i.key, i.value]));
}

function gsParts(uri: string): { bucket: string; prefix: string } {
  const match = /^gs:\/\/([^/]+)\/(.*)$/.exec(uri)!;
  return { bucket: match[1]!, prefix: match[2]!.endsWith('/') ? match[2]! : `${match[2]}/` };
}

/** Starts simulating the VMs of `compute`; call the result to stop (every process is killed). */
export function simulateVms(compute: FakeCompute, options: { tickMs?: number } = {}): () => Promise<void> {
  const running = new Map<string, Running>();
  const timer = setInterval(() => {
    for (const [key, instance] of compute.context.instances) {
      const status = String(instance.status);
      const seen = running.get(key);
      if (seen && status !== 'RUNNING') kill(seen);
      if (seen || status !== 'RUNNING') continue;
      const metadata = metadataOf(instance);
      if (!metadata[METADATA_KEYS.launch]) continue;
      const launch = JSON.parse(metadata[METADATA_KEYS.launch]!) as MachineLaunch;
      const replica =
        launch.replicas.find((r) => r.name === metadata[METADATA_KEYS.replica]) ?? launch.replicas[0]!;
      running.set(key, boot(String(instance.name), metadata, replica));
    }
    for (const [key, seen] of running) if (!compute.context.instances.has(key)) kill(seen);
  }, options.tickMs ?? 20);

  function kill(seen: Running): void {
    if (seen.killed) return;
    seen.killed = true;
    seen.child.kill('SIGKILL');
  }

  return async () => {
    clearInterval(timer);
    for (const seen of running.values()) kill(seen);
  };
}

function boot(
  host: string,
  metadata: Record<string, string>,
  replica: MachineLaunch['replicas'][number],
): Running {
  const launch = JSON.parse(metadata[METADATA_KEYS.launch]!) as MachineLaunch;
  const { bucket, prefix } = gsParts(metadata[METADATA_KEYS.control]!);
  const storage = new Storage({ apiEndpoint: metadata[METADATA_KEYS.storageApi], projectId: 'sim' });
  const put = (name: string, text: string) =>
    storage.bucket(bucket).file(`${prefix}${name}`).save(text, { resumable: false });
  const argv = replica.runsProgram ? [...(launch.command ?? []), ...launch.args] : ['sleep', '3600'];
  const child = spawn(argv[0]!, argv.slice(1), {
    env: { PATH: process.env.PATH, ...replica.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const state: Running = { child, killed: false };
  let output = '';
  let writes = put(
    `${host}.boot.json`,
    JSON.stringify({ host, startedAt: new Date().toISOString(), replica: replica.name }),
  );
  const flush = () => {
    const text = output;
    writes = writes.then(() => put(`${replica.name}.log`, text)).catch(() => {});
    return writes;
  };
  if (!replica.runsProgram) return state;
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (!state.killed) void flush();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.on('exit', (code, signal) => {
    if (state.killed) return;
    const exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : 15);
    const lastLines = output.split('\n').filter(Boolean).slice(-20);
    void flush().then(() =>
      put(
        `${replica.name}.exit.json`,
        JSON.stringify({ replica: replica.name, exitCode, endedAt: new Date().toISOString(), lastLines }),
      ),
    );
  });
  return state;
}

/**
 * The same for a fake Cloud TPU's slices in `parents` (`projects/P/locations/Z`):
 * once a queued resource is ACTIVE and its node READY, every host of the node
 * starts — the one whose `agent-worker-number` runs a program runs it, the
 * others idle — and a node that is preempted or deleted loses them all.
 */
export function simulateTpuNodes(
  tpu: FakeTpu,
  parents: readonly string[],
  options: { tickMs?: number } = {},
): () => Promise<void> {
  const running = new Map<string, Running[]>();
  const timer = setInterval(() => {
    const alive = new Set<string>();
    for (const parent of parents) {
      for (const queued of tpu.listQueuedResources(parent)) {
        const spec = (queued.tpu as { nodeSpec?: { nodeId: string }[] } | undefined)?.nodeSpec?.[0];
        if (!spec) continue;
        const nodeName = `${parent}/nodes/${spec.nodeId}`;
        let node: Json;
        try {
          node = tpu.getNode(nodeName) as unknown as Json;
        } catch {
          continue;
        }
        if (node.state !== 'READY') continue;
        alive.add(nodeName);
        if (running.has(nodeName)) continue;
        const metadata = (node.metadata ?? {}) as Record<string, string>;
        if (!metadata[METADATA_KEYS.launch]) continue;
        const launch = JSON.parse(metadata[METADATA_KEYS.launch]!) as MachineLaunch;
        running.set(
          nodeName,
          launch.replicas.map((replica) => boot(`${spec.nodeId}-w${replica.worker ?? 0}`, metadata, replica)),
        );
      }
    }
    for (const [name, hosts] of running) if (!alive.has(name)) for (const host of hosts) stop(host);
  }, options.tickMs ?? 20);
  return async () => {
    clearInterval(timer);
    for (const hosts of running.values()) for (const host of hosts) stop(host);
  };
}

function stop(seen: Running): void {
  if (seen.killed) return;
  seen.killed = true;
  seen.child.kill('SIGKILL');
}

/** The project's `default` network, as a real project has it: made through the real Compute client. */
export async function createDefaultNetwork(
  env: Record<string, string>,
  project = 'my-project',
): Promise<void> {
  const { createComputeApi, operationOf } = await import('../../src/infra/gcp/compute-api.ts');
  const compute = await createComputeApi({ env });
  try {
    const result = await compute.networks.insert({
      project,
      networkResource: { name: 'default', autoCreateSubnetworks: true },
    });
    await compute.waitFor(operationOf(result), {
      id: 'default',
      action: 'creating network default',
      project,
    });
  } finally {
    await compute.close();
  }
}
