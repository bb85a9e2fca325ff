/**
 * What a booted machine says first, without booting it: for every fake
 * Compute VM that reaches RUNNING and every fake TPU node that is READY, the
 * stand-in writes each host's `<host>.boot.json` into the attempt's control
 * folder (`src/agent/layout.ts`), through the real Cloud
 * Storage client, as the startup script's first upload does. It runs
 * nothing: 16 booting VMs (a startup script, a metadata server and a
 * program each) on a 2-core machine would measure the machine, not the
 * provider. It also notes when each job's machines were all up, as the
 * fake holds them, to set beside what the provider's status reports.
 */

import { Storage } from '@google-cloud/storage';
import { type MachineLaunch, METADATA_KEYS } from '../../src/agent/layout.ts';
import type { FakeCompute } from '../../src/testing/fake-compute/index.ts';
import type { FakeTpu } from '../../src/testing/fake-tpu/index.ts';

type Json = Record<string, unknown>;

export interface BootStandIn {
  /** `performance.now()` when every machine the job asked for was up (VMs RUNNING, node READY). */
  upAt(jobId: string): number | undefined;
  /** Expects `machines` VMs (gce) or one node (tpu-vm) for `jobId`. */
  expect(jobId: string, machines: number): void;
  stop(): Promise<void>;
}

function gsParts(uri: string): { bucket: string; prefix: string } {
  const match = /^gs:\/\/([^/]+)\/(.*)$/.exec(uri)!;
  return { bucket: match[1]!, prefix: match[2]!.endsWith('/') ? match[2]! : `${match[2]}/` };
}

export function startBootStandIn(
  fakes: { compute?: FakeCompute; tpu?: FakeTpu; tpuParents: readonly string[] },
  tickMs = 10,
): BootStandIn {
  const booted = new Set<string>();
  const expected = new Map<string, number>();
  const up = new Map<string, number>();
  const writes = new Set<Promise<unknown>>();
  const clients = new Map<string, Storage>();

  function writeBoot(metadata: Record<string, string>, host: string, replica: string): void {
    const api = metadata[METADATA_KEYS.storageApi]!;
    if (!clients.has(api)) clients.set(api, new Storage({ apiEndpoint: api, projectId: 'bench' }));
    const { bucket, prefix } = gsParts(metadata[METADATA_KEYS.control]!);
    const body = JSON.stringify({ host, replica, startedAt: new Date().toISOString() });
    const write = clients
      .get(api)!
      .bucket(bucket)
      .file(`${prefix}${host}.boot.json`)
      .save(body, { resumable: false })
      .catch((error: unknown) => console.error(`boot stand-in: ${host}: ${String(error)}`));
    writes.add(write);
    void write.finally(() => writes.delete(write));
  }

  function lookAtVms(compute: FakeCompute, running: Map<string, number>): void {
    for (const instance of compute.context.instances.values()) {
      if (instance.status !== 'RUNNING') continue;
      const jobId = (instance.labels as Record<string, string> | undefined)?.['strato-job'];
      if (!jobId) continue;
      running.set(jobId, (running.get(jobId) ?? 0) + 1);
      const name = String(instance.name);
      if (booted.has(name)) continue;
      booted.add(name);
      const items = ((instance.metadata as Json | undefined)?.items ?? []) as {
        key: string;
        value: string;
      }[];
      const metadata = Object.fromEntries(items.map((i) => [i.key, i.value]));
      writeBoot(metadata, name, metadata[METADATA_KEYS.replica] ?? name);
    }
  }

  function lookAtNodes(tpu: FakeTpu, running: Map<string, number>): void {
    for (const parent of fakes.tpuParents) {
      for (const queued of tpu.listQueuedResources(parent)) {
        const nodeId = (queued.tpu as { nodeSpec?: { nodeId: string }[] } | undefined)?.nodeSpec?.[0]?.nodeId;
        if (!nodeId) continue;
        let node: Json;
        try {
          node = tpu.getNode(`${parent}/nodes/${nodeId}`) as unknown as Json;
        } catch {
          continue;
        }
        if (node.state !== 'READY') continue;
        const jobId = (node.labels as Record<string, string> | undefined)?.['strato-job'];
        if (!jobId) continue;
        running.set(jobId, (running.get(jobId) ?? 0) + 1);
        if (booted.has(nodeId)) continue;
        booted.add(nodeId);
        const metadata = (node.metadata ?? {}) as Record<string, string>;
        const launch = JSON.parse(metadata[METADATA_KEYS.launch]!) as MachineLaunch;
        // Every host of the slice boots; the host names are what the provider matches (`<node>-w<n>`).
        for (const replica of launch.replicas)
          writeBoot(metadata, `${nodeId}-w${replica.worker ?? 0}`, replica.name);
      }
    }
  }

  const timer = setInterval(() => {
    const now = performance.now();
    const running = new Map<string, number>();
    if (fakes.compute) lookAtVms(fakes.compute, running);
    if (fakes.tpu) lookAtNodes(fakes.tpu, running);
    for (const [jobId, machines] of expected) {
      if (!up.has(jobId) && (running.get(jobId) ?? 0) >= machines) up.set(jobId, now);
    }
  }, tickMs);

  return {
    upAt: (jobId) => up.get(jobId),
    expect: (jobId, machines) => expected.set(jobId, machines),
    async stop() {
      clearInterval(timer);
      await Promise.allSettled([...writes]);
    },
  };
}
