/**
 * Part 2: what one status tick costs for 20 running jobs. The 20 jobs are
 * submitted together and waited for until every one runs; then the fakes'
 * counters are cleared and ONE `statusMany` over the 20 handles is made
 * with pacing off (pollScale 0), so every job is read fresh — a paced
 * answer would cost nothing and prove nothing. The calls counted are every
 * request the three fakes answered during that call.
 */

import { sleep } from '../../src/internal/sleep.ts';
import type { JobHandle, JobStatus, Provider } from '../../src/providers/types.ts';
import type { FakeCloud } from '../../src/testing/fake-cloud.ts';
import { allRunning, gceSpec, jobIdFor, submitToProvider, tpuSpec } from './jobs.ts';

export const POLLED_JOBS = 20;
/** gce jobs alternate between these zones, to show the reads grouped by zone. */
export const GCE_ZONES = ['us-central1-a', 'us-central1-b'];

type ManyProvider = Provider & { statusMany(handles: readonly JobHandle[]): Promise<JobStatus[]> };

/** Storage requests seen while `recording`, by kind. */
export class StorageCalls {
  recording = false;
  readonly counts = new Map<string, number>();

  /** The fake Cloud Storage's `onRequest`. */
  readonly onRequest = (entry: { method: string; url: string }) => {
    if (!this.recording) return;
    const kind = storageKind(entry.method, entry.url);
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
  };
}

function storageKind(method: string, url: string): string {
  const path = new URL(url, 'http://fake').pathname;
  if (method === 'GET' && /^\/storage\/v1\/b\/[^/]+\/o$/.test(path)) return 'GCS objects.list';
  if (/^\/(download\/)?storage\/v1\/b\/[^/]+\/o\/.+/.test(path)) return `GCS ${method} object`;
  return `GCS ${method} ${path.replace(/\/b\/[^/]+/, '/b/*')}`;
}

export interface PollingCost {
  jobs: number;
  machines: number;
  zones: number;
  /** Request kind → count, for the one statusMany. */
  calls: Map<string, number>;
  seconds: number;
}

export async function pollingCost(
  setup: {
    provider: ManyProvider;
    cloud: FakeCloud;
    storage: StorageCalls;
    home: string;
    env: NodeJS.ProcessEnv;
    slowOperations(slow: boolean): void;
    expect(jobId: string, machines: number): void;
  },
  kind: 'gce' | 'tpu-vm',
): Promise<PollingCost> {
  const { provider, cloud } = setup;
  const inputs = Array.from({ length: POLLED_JOBS }, (_, i) =>
    kind === 'gce' ? gceSpec(2, GCE_ZONES[i % GCE_ZONES.length]!) : tpuSpec(4),
  );
  setup.slowOperations(true);
  const handles = await Promise.all(
    inputs.map((input) => {
      const jobId = jobIdFor(input);
      setup.expect(jobId, kind === 'gce' ? 2 : 1);
      return submitToProvider(provider, input, jobId, setup);
    }),
  );
  try {
    const started = performance.now();
    while (!(await provider.statusMany(handles)).every(allRunning)) {
      if (performance.now() - started > 120_000) throw new Error(`${kind}: 20 jobs not running after 120 s`);
      await sleep(200);
    }
    cloud.compute?.calls.clear();
    for (const key of Object.keys(cloud.tpu?.calls ?? {})) delete cloud.tpu!.calls[key];
    setup.storage.counts.clear();
    setup.storage.recording = true;
    const tick = performance.now();
    const statuses = await provider.statusMany(handles);
    const seconds = (performance.now() - tick) / 1000;
    // The fake Cloud Storage counts a request when its answer is done: let the last ones land.
    await sleep(200);
    setup.storage.recording = false;
    if (!statuses.every(allRunning)) throw new Error(`${kind}: a job stopped running during the tick`);
    const calls = new Map<string, number>();
    for (const [key, n] of cloud.compute?.calls ?? []) calls.set(`Compute ${key}`, n);
    for (const [key, n] of Object.entries(cloud.tpu?.calls ?? {})) calls.set(`TPU ${key}`, n);
    for (const [key, n] of setup.storage.counts) calls.set(key, n);
    return {
      jobs: handles.length,
      machines: kind === 'gce' ? 2 * handles.length : 4 * handles.length,
      zones: kind === 'gce' ? GCE_ZONES.length : 1,
      calls,
      seconds,
    };
  } finally {
    setup.slowOperations(false);
    await Promise.all(handles.map((handle) => provider.cancel(handle, 'benchmark measured')));
  }
}
