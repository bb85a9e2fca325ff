/**
 * Real TensorFlow throughput of the MNIST example's model on this machine:
 * examples/s under one-device (Keras 3 fit) and multi-worker-mirrored with 2
 * worker processes (the helper's custom loop), each with and without the
 * helper's extras (TensorBoard, backups, the preemption watch), and the
 * overhead those cost. Not a test: `npm run bench:tf` (needs the venv that
 * `bash test/setup/ensure-tensorflow.sh` makes). Figure to beat: < 5 %.
 * Bare and helper runs alternate, ROUNDS times, and the medians are compared,
 * so a neighbour's load hits both alike.
 */

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { table } from '../../src/cli/format.ts';
import { getTensorflowVenv, REPO_ROOT } from '../../test/support/tensorflow.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const TRAIN_ARGS = ['--epochs=3', '--steps-per-epoch=50', '--batch-size=64'];
const venv = getTensorflowVenv();
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

function replica(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(venv.python, [join(REPO_ROOT, 'bench/tf/throughput.py'), ...args, ...TRAIN_ARGS], {
      env: venv.env({
        PYTHONPATH: [
          join(REPO_ROOT, 'trainer-images'),
          join(REPO_ROOT, 'trainer-images/examples/mnist'),
        ].join(':'),
        ...env,
      }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !line.startsWith('{'))
        reject(new Error(`replica exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(line).examples_per_sec);
    });
  });
}

function runDirs(root: string, name: string): Record<string, string> {
  return {
    STRATO_JOB_NAME: name,
    AIP_MODEL_DIR: join(root, name, 'model/'),
    AIP_CHECKPOINT_DIR: join(root, name, 'checkpoints/'),
    AIP_TENSORBOARD_LOG_DIR: join(root, name, 'logs/'),
  };
}

async function oneDevice(root: string, bare: boolean, round: number): Promise<number> {
  const name = `one-device-${bare ? 'bare' : 'helper'}-${round}`;
  return replica(['fit', ...(bare ? ['--bare'] : [])], {
    STRATO_STRATEGY: 'one-device',
    ...runDirs(root, name),
  });
}

async function multiWorker(root: string, bare: boolean, round: number): Promise<number> {
  const name = `mwms-${bare ? 'bare' : 'helper'}-${round}`;
  const workers = [`127.0.0.1:${await freePort()}`, `127.0.0.1:${await freePort()}`];
  const rates = await Promise.all(
    workers.map((_, index) =>
      replica(['loop', ...(bare ? ['--bare'] : [])], {
        STRATO_STRATEGY: 'multi-worker-mirrored',
        STRATO_ROLE: 'worker',
        STRATO_REPLICA_INDEX: String(index),
        TF_CONFIG: JSON.stringify({ cluster: { worker: workers }, task: { type: 'worker', index } }),
        ...runDirs(root, name),
      }),
    ),
  );
  // Every worker sees the global rate; the chief's is the job's.
  return rates[0]!;
}

const root = mkdtempSync(join(tmpdir(), 'strato-bench-tf-'));
try {
  const rows: string[][] = [];
  for (const [label, run] of [
    ['one-device (Keras 3 fit)', oneDevice],
    ['multi-worker-mirrored, 2 workers (helper loop)', multiWorker],
  ] as const) {
    const bare: number[] = [];
    const helper: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      bare.push(await run(root, true, round));
      helper.push(await run(root, false, round));
      console.error(
        `${label}, round ${round + 1}: bare ${bare.at(-1)!.toFixed(0)} ex/s, helper ${helper.at(-1)!.toFixed(0)} ex/s`,
      );
    }
    const overhead = (median(bare) / median(helper) - 1) * 100;
    rows.push([
      label,
      median(bare).toFixed(0),
      median(helper).toFixed(0),
      `${overhead.toFixed(1)} %`,
      `${Math.min(...helper).toFixed(0)}–${Math.max(...helper).toFixed(0)}`,
    ]);
  }
  console.log(`MNIST example model, synthetic 28×28, batch 64 per replica, ${ROUNDS} rounds (medians)\n`);
  console.log(table([['strategy', 'bare ex/s', 'helper ex/s', 'helper overhead', 'helper range'], ...rows]));
  console.log('\nhelper: TensorBoard + per-epoch backups + preemption watch; goal: overhead < 5 %');
} finally {
  rmSync(root, { recursive: true, force: true });
}
