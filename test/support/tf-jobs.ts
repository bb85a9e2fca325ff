/** Running a real-TensorFlow job through the CLI in-process, and reading what it left behind. */

import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import type { TensorflowVenv } from './tensorflow.ts';

export interface MetricValue {
  run: string;
  tag: string;
  step: number;
  value: number;
}

export interface FinishedJob {
  code: number;
  id: string;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** `strato CMD ...` in this process, with the venv on PATH and a private STRATO_HOME. */
export async function strato(venv: TensorflowVenv, home: string, ...argv: string[]) {
  const io = bufferIo({ env: venv.env({ STRATO_HOME: home }) });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** `strato run FILE`, to the job's end. */
export async function runJob(venv: TensorflowVenv, home: string, file: string): Promise<FinishedJob> {
  const started = Date.now();
  const { code, stdout, stderr } = await strato(venv, home, 'run', file);
  const id = /^(\S+) (?:SUCCEEDED|FAILED|CANCELLED)/m.exec(stdout)?.[1] ?? '';
  return { code, id, stdout, stderr, seconds: (Date.now() - started) / 1000 };
}

/** Every scalar `strato metrics --json` reads from the job's run dir. */
export async function metricsOf(venv: TensorflowVenv, home: string, target: string): Promise<MetricValue[]> {
  const { code, stdout, stderr } = await strato(venv, home, 'metrics', target, '--json');
  if (code !== 0) throw new Error(`strato metrics ${target} failed: ${stderr}`);
  return stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as MetricValue);
}

export function series(metrics: MetricValue[], run: string, tag: string): number[] {
  return metrics
    .filter((m) => m.run === run && m.tag === tag)
    .sort((a, b) => a.step - b.step)
    .map((m) => m.value);
}

/** Lines of one replica's log, without the `[worker-0] ` prefix. */
export async function replicaLog(venv: TensorflowVenv, home: string, id: string, replica: string) {
  const { stdout } = await strato(venv, home, 'logs', id);
  const prefix = `[${replica}] `;
  return stdout
    .split('\n')
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}
