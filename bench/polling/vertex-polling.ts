/**
 * Polling cost of watching Vertex jobs (a benchmark, not a test):
 * `npx tsx bench/polling/vertex-polling.ts`.
 *
 * For 1, 10 and 50 jobs on the fake Vertex, submits them through the job
 * lifecycle and watches them to the end with `watchJobs` (the loop behind
 * `strato watch` and `Job.events`), counting the JobService calls next to
 * what one GetCustomJob per job per read would have cost. The watch ticks
 * often; the provider's pacing decides when Vertex is read (one
 * ListCustomJobs for all due jobs). Also prints the read rate the pacing
 * allows per job in each state.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { submit } from '../../src/jobs/submit.ts';
import { watchJobs } from '../../src/jobs/watch.ts';
import { createVertexProvider } from '../../src/providers/vertex/index.ts';
import { nextPollDelayMs } from '../../src/providers/vertex/job-state.ts';
import { parseJobSpec } from '../../src/spec/load.ts';
import { fakeVertexEnv, startFakeVertex } from '../../src/testing/fake-vertex/index.ts';

/** Intervals shrink by this factor so the benchmark takes seconds, not minutes; call counts do not change. */
const SCALE = 0.01;

/** How often the watch loop looks; the provider's pacing (× SCALE) decides when Vertex is read. */
const WATCH_INTERVAL_MS = 10;

async function measure(jobs: number): Promise<string[]> {
  const fake = await startFakeVertex({ timing: { queuedMs: 200, pendingMs: 300, stopGraceMs: 500 } });
  const home = mkdtempSync(join(tmpdir(), 'strato-bench-polling-'));
  const provider = createVertexProvider({ env: fakeVertexEnv(fake), pollScale: SCALE });
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
    const submitted = await Promise.all(Array.from({ length: jobs }, () => submit(spec, { provider, home })));
    const before = { ...fake.faults.counts.calls };
    let ticks = 0;
    const started = Date.now();
    for await (const _tick of watchJobs(
      submitted.map((job) => job.record),
      { provider, home, intervalMs: WATCH_INTERVAL_MS },
    )) {
      ticks++;
    }
    const calls = (method: string) => (fake.faults.counts.calls[method] ?? 0) - (before[method] ?? 0);
    const lists = calls('ListCustomJobs');
    return [
      String(jobs),
      String(ticks),
      String(lists),
      String(calls('GetCustomJob')),
      String(lists * jobs),
      `${((Date.now() - started) / 1000).toFixed(1)} s`,
    ];
  } finally {
    await fake.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')).join('\n');
}

const rows = [['jobs', 'watch ticks', 'List calls', 'Get calls', 'Get-per-job would be', 'wall']];
for (const jobs of [1, 10, 50]) rows.push(await measure(jobs));
console.log(`Watching jobs to the end (intervals × ${SCALE}):\n${table(rows)}\n`);

const pacing = [['state', 'first minute', 'after 1 min', 'after 10 min']];
for (const state of ['JOB_STATE_QUEUED', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING']) {
  const perMinute = (ms: number) => `${(60_000 / nextPollDelayMs(state, ms)!).toFixed(1)}/min`;
  pacing.push([state, perMinute(0), perMinute(2 * 60_000), perMinute(20 * 60_000)]);
}
console.log(`Reads per watched job:\n${table(pacing)}`);
