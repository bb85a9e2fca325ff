/**
 * CLI start-up: wall time of `strato` commands as a user runs them, a new
 * Node process each time (`node bin/strato.js …`, what `npx strato` execs).
 * Not a test: `npm run bench:startup [-- --runs N]` (builds first). Goal:
 * `strato --version` in ≤ 0.25 s.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { table } from '../../src/cli/format.ts';

const BIN = fileURLToPath(new URL('../../bin/strato.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COMMANDS = [['--version'], ['--help'], ['validate', 'templates/quickstart.yaml']];

const runsFlag = process.argv.indexOf('--runs');
const RUNS = runsFlag > 0 ? Number(process.argv[runsFlag + 1]) : 20;

/** The value below which `fraction` of the sorted values lie (nearest rank). */
const percentile = (sorted: number[], fraction: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)]!;

function timeOnce(args: string[]): number {
  const started = performance.now();
  execFileSync(process.execPath, [BIN, ...args], { cwd: ROOT, stdio: 'ignore' });
  return performance.now() - started;
}

const rows = COMMANDS.map((args) => {
  timeOnce(args); // unmeasured: warms the OS file cache, as any second run would be
  const samples = Array.from({ length: RUNS }, () => timeOnce(args)).sort((a, b) => a - b);
  return [
    `strato ${args.join(' ')}`,
    `${Math.round(percentile(samples, 0.5))} ms`,
    `${Math.round(percentile(samples, 0.9))} ms`,
  ];
});

console.log(`Node ${process.versions.node}, ${RUNS} runs each\n`);
console.log(table([['command', 'median', 'p90'], ...rows]));
