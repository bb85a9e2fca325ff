/**
 * Launch latency of the local provider: time from `submit()` to every
 * replica running, and what the supervisor costs in CPU, for 2–16 replicas
 * of a trivial sleeping command, from the package's build as users run it.
 * Not a test: `npm run bench:launch` (builds first).
 * Goal (issue 4): 16 replicas running in under 1 s.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { table } from '../../src/cli/format.ts';
import { sleep } from '../../src/internal/sleep.ts';

// The build, not the sources: the supervisor then starts from dist/ too, as in an installed package.
const built = (module: string) => new URL(`../../dist/${module}.js`, import.meta.url).href;
const { submit } = (await import(built('jobs/submit'))) as typeof import('../../src/jobs/submit.ts');
const { createLocalProvider } = (await import(
  built('providers/local/index')
)) as typeof import('../../src/providers/local/index.ts');
const { findLocalState } = (await import(
  built('providers/local/state')
)) as typeof import('../../src/providers/local/state.ts');

const REPLICA_COUNTS = [2, 4, 8, 16];
const REPEATS = 3;
/** Idle watching measured over this long, with every replica running. */
const STEADY_MS = 2000;
/** Linux USER_HZ: /proc/PID/stat times are in 1/100 s (proc(5)). */
const TICK_MS = 10;

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15; fields[0] is field 3.
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

interface Sample {
  submitMs: number;
  /** Until the supervisor process had started and written its first state (node boot). */
  supervisorUpMs: number;
  runningMs: number;
  startCpuMs: number;
  steadyCpuMsPerSec: number;
}

async function launchOnce(replicas: number, home: string): Promise<Sample> {
  const provider = createLocalProvider({ graceMs: 2000 });
  const started = performance.now();
  const job = await submit(
    {
      apiVersion: 'strato.dev/v1',
      kind: 'Job',
      name: 'bench-launch',
      strategy: 'multi-worker-mirrored',
      container: { command: ['sleep', '60'] },
      resources: { workers: { replicas } },
    },
    { provider, home },
  );
  const submitMs = performance.now() - started;
  const jobDir = job.record.jobDir;
  let runningMs = Number.NaN;
  let supervisorUpMs = Number.NaN;
  for (;;) {
    const state = findLocalState(jobDir);
    if (Number.isNaN(supervisorUpMs) && state?.supervisor.pid !== undefined) {
      supervisorUpMs = performance.now() - started;
    }
    if (state?.replicas.every((r) => r.state === 'RUNNING')) {
      runningMs = performance.now() - started;
      break;
    }
    if (performance.now() - started > 30_000) throw new Error(`${replicas} replicas not running after 30 s`);
    await sleep(2);
  }
  const supervisorPid = findLocalState(jobDir)!.supervisor.pid!;
  const startCpuMs = cpuMs(supervisorPid);
  await sleep(STEADY_MS);
  const steadyCpuMsPerSec = ((cpuMs(supervisorPid) - startCpuMs) / STEADY_MS) * 1000;
  await job.cancel('benchmark done');
  return { submitMs, supervisorUpMs, runningMs, startCpuMs, steadyCpuMsPerSec };
}

async function main() {
  const home = mkdtempSync(join(tmpdir(), 'strato-bench-launch-'));
  const rows: string[][] = [];
  try {
    // One unmeasured run warms the OS file cache, as any second run of strato would be.
    await launchOnce(2, home);
    for (const replicas of REPLICA_COUNTS) {
      const samples: Sample[] = [];
      for (let i = 0; i < REPEATS; i++) samples.push(await launchOnce(replicas, home));
      const running = median(samples.map((s) => s.runningMs));
      rows.push([
        String(replicas),
        median(samples.map((s) => s.submitMs)).toFixed(0),
        median(samples.map((s) => s.supervisorUpMs)).toFixed(0),
        running.toFixed(0),
        running < 1000 ? 'yes' : 'no',
        median(samples.map((s) => s.startCpuMs)).toFixed(0),
        median(samples.map((s) => s.steadyCpuMsPerSec)).toFixed(1),
      ]);
      process.stderr.write(`${replicas} replicas done\n`);
    }
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
  console.log(
    table([
      [
        'REPLICAS',
        'SUBMIT RETURNS ms',
        'SUPERVISOR UP ms',
        'ALL RUNNING ms',
        '< 1 s',
        'SUPERVISOR CPU TO START ms',
        'SUPERVISOR CPU ms/s RUNNING',
      ],
      ...rows,
    ]),
  );
  const { cpus, loadavg } = await import('node:os');
  console.log(
    `median of ${REPEATS} runs each; replicas run \`sleep 60\`; ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)}`,
  );
}

await main();
