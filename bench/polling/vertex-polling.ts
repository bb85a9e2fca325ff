/**
 * Polling cost of watching Vertex jobs (a benchmark, not a test):
 * `npx tsx bench/polling/vertex-polling.ts`.
 *
 * For 1, 10 and 50 jobs on the fake Vertex, watches them to the end the way
 * `watch.ts` does (one ListCustomJobs per tick) and counts the JobService
 * calls, next to what one GetCustomJob per job per tick would have cost.
 * Also prints the read rate the pacing allows per job in each state.
 */

import { planJob } from '../../src/jobs/plan-job.ts';
import { createVertexApi } from '../../src/providers/vertex/api.ts';
import { nextPollDelayMs } from '../../src/providers/vertex/job-state.ts';
import { submitVertexJob } from '../../src/providers/vertex/jobs.ts';
import { watchVertexJobs } from '../../src/providers/vertex/watch.ts';
import { parseJobSpec } from '../../src/spec/load.ts';
import { startFakeVertex } from '../../src/testing/fake-vertex/index.ts';

/** Intervals shrink by this factor so the benchmark takes seconds, not minutes; call counts do not change. */
const SCALE = 0.01;

async function measure(jobs: number): Promise<string[]> {
  const fake = await startFakeVertex({ timing: { queuedMs: 200, pendingMs: 300, stopGraceMs: 500 } });
  const api = await createVertexApi('bench-project', 'us-central1', fake.clientOptions());
  try {
    const spec = parseJobSpec({
      apiVersion: 'strato.dev/v1',
      kind: 'Job',
      name: 'polling-bench',
      strategy: 'one-device',
      container: { image: 'bench', command: [process.execPath, '-e', 'setTimeout(() => {}, 1500)'] },
      resources: { workers: { machineType: 'n1-standard-4' } },
      output: 'gs://bench/runs/x',
      provider: { name: 'vertex', project: 'bench-project', region: 'us-central1' },
    });
    const records = await Promise.all(
      Array.from({ length: jobs }, (_, i) => submitVertexJob(api, planJob(spec), { jobId: `bench-${i}` })),
    );
    const before = { ...fake.faults.counts.calls };
    let ticks = 0;
    const started = Date.now();
    await watchVertexJobs(async () => api, records, {
      scale: SCALE,
      onStatus: () => {},
      onTick: () => {
        ticks++;
      },
    });
    const calls = (method: string) => (fake.faults.counts.calls[method] ?? 0) - (before[method] ?? 0);
    return [
      String(jobs),
      String(ticks),
      String(calls('ListCustomJobs')),
      String(calls('GetCustomJob')),
      String(ticks * jobs),
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
    ];
  } finally {
    await api.close();
    await fake.close();
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

const rows = [['jobs', 'ticks', 'List calls', 'Get calls', 'Get-per-job would be', 'wall']];
for (const jobs of [1, 10, 50]) rows.push(await measure(jobs));
console.log(`Watching jobs to the end (intervals × ${SCALE}):\n${table(rows)}\n`);

const pacing = [['state', 'first minute', 'after 1 min', 'after 10 min']];
for (const state of ['JOB_STATE_QUEUED', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING']) {
  const perMinute = (ms: number) => `${(60_000 / nextPollDelayMs(state, ms)!).toFixed(1)}/min`;
  pacing.push([state, perMinute(0), perMinute(2 * 60_000), perMinute(20 * 60_000)]);
}
console.log(`Reads per watched job:\n${table(pacing)}`);
