/**
 * A Vertex job's replica lines through the provider: read from the fake
 * Cloud Logging with `@google-cloud/logging`, where the fake Vertex sends
 * them as Vertex does (resource ml_job, job_id, task_name) — interleaved by
 * time, with timestamps, one replica, the last N, since a time, followed.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import type { JobHandle, LogLine, LogOptions, SubmitContext } from '../../../../src/providers/types.ts';
import { createVertexProvider } from '../../../../src/providers/vertex/index.ts';
import { replicaLogFilter } from '../../../../src/providers/vertex/logs.ts';
import { parseJobSpec } from '../../../../src/spec/load.ts';
import { type FakeCloud, startFakeCloud } from '../../../../src/testing/fake-cloud.ts';
import { vertexSpec } from '../../../support/specs.ts';

let cloud: FakeCloud;
let provider: ReturnType<typeof createVertexProvider>;
let jobDir: string;
let handle: JobHandle;
let followed: LogLine[];

// Each replica prints three numbered lines 300 ms apart, so the fake forwards them in separate batches;
// the primary stays a little longer (the job ends, and the others are stopped, when it exits).
const SCRIPT =
  "const name = JSON.parse(process.env.CLUSTER_SPEC).task; let i = 0; const t = setInterval(() => { console.log(name.type + '-' + name.index + ' line ' + i); if (++i === 3) clearInterval(t); }, 300); if (name.type === 'workerpool0') setTimeout(() => {}, 2000);";

function context(jobId: string): SubmitContext {
  return { jobId, jobDir, baseDir: process.cwd(), env: {} };
}

async function collect(options: LogOptions = {}): Promise<LogLine[]> {
  const lines: LogLine[] = [];
  for await (const line of provider.logs(handle, { pollIntervalMs: 50, ...options })) lines.push(line);
  return lines;
}

beforeAll(async () => {
  cloud = await startFakeCloud({
    storage: false,
    vertex: { timing: { queuedMs: 20, pendingMs: 20, stopGraceMs: 500 } },
  });
  provider = createVertexProvider({ env: cloud.env, pollScale: 0 });
  jobDir = mkdtempSync(join(tmpdir(), 'strato-vertex-logs-'));
  const spec = vertexSpec({
    strategy: 'multi-worker-mirrored',
    container: { image: 'us-docker.pkg.dev/p/r/t:1', command: [process.execPath, '-e', SCRIPT] },
    resources: { workers: { replicas: 3, machineType: 'n1-standard-4' } },
  });
  handle = await provider.submit(planJob(parseJobSpec(spec)), context('logs-job'));
  // Followed from submission: the lines of a job still queued arrive, and the iterator ends with the job.
  followed = await collect({ follow: true });
});

afterAll(async () => {
  await cloud.close();
  rmSync(jobDir, { recursive: true, force: true });
});

describe('vertex provider logs, from Cloud Logging', () => {
  it('reads every replica line, interleaved by time, each with its timestamp and Vertex task name', async () => {
    const lines = await collect();
    expect(lines).toHaveLength(9);
    expect(new Set(lines.map((l) => l.replica))).toEqual(
      new Set(['workerpool0-0', 'workerpool1-0', 'workerpool1-1']),
    );
    const times = lines.map((l) => Date.parse(l.time!));
    expect(times.every((t, i) => i === 0 || t >= times[i - 1]!)).toBe(true);
    // Interleaved: the replicas ran side by side, so their lines alternate instead of coming replica by replica.
    const switches = lines.filter((l, i) => i > 0 && l.replica !== lines[i - 1]!.replica).length;
    expect(switches).toBeGreaterThan(2);
    expect(lines.find((l) => l.replica === 'workerpool1-1')!.text).toBe('workerpool1-1 line 0');
  });

  it('follows a job from submission to its end: every line once, then the iterator ends', async () => {
    expect(followed).toEqual(await collect());
    expect(followed).toHaveLength(9);
  });

  it('reads one replica, the last N lines, and lines since a time', async () => {
    const one = await collect({ replica: 'workerpool1-0' });
    expect(one.map((l) => l.text)).toEqual([
      'workerpool1-0 line 0',
      'workerpool1-0 line 1',
      'workerpool1-0 line 2',
    ]);
    const tail = await collect({ tail: 2 });
    const all = await collect();
    expect(tail).toEqual(all.slice(-2));
    const since = new Date(Date.parse(all[3]!.time!));
    const after = await collect({ since });
    expect(after.length).toBeGreaterThanOrEqual(1);
    expect(after.length).toBeLessThan(9);
    expect(after.every((l) => Date.parse(l.time!) >= since.getTime())).toBe(true);
    expect(await collect({ since: new Date(Date.now() + 60_000) })).toEqual([]);
  });

  it('names the replicas there are when asked for one that is not', async () => {
    await expect(collect({ replica: 'worker-1' })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      hint: expect.stringContaining('workerpool1-1'),
    });
  });

  it('asks Cloud Logging with the filter gcloud ai custom-jobs stream-logs uses', () => {
    expect(replicaLogFilter({ jobIds: ['123'], replica: 'workerpool0-0', since: new Date(0) })).toBe(
      'resource.type="ml_job" AND resource.labels.job_id="123" AND resource.labels.task_name="workerpool0-0" AND timestamp>="1970-01-01T00:00:00.000Z"',
    );
    expect(replicaLogFilter({ jobIds: ['1', '2'] })).toContain(
      '(resource.labels.job_id="1" OR resource.labels.job_id="2")',
    );
  });
});
