/**
 * `strato metrics` against TensorBoard itself: the event files real TensorFlow
 * writes (Keras 3's TensorBoard callback in a real job, `tf.summary` in TF2 and
 * TF1 form) read the same, tag by tag and step by step, as TensorBoard's own
 * EventAccumulator reads them from the same venv; and the files Strato's
 * EventFileWriter writes load in EventAccumulator with the values written.
 */

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EventFileWriter } from '../../src/metrics/writer.ts';
import { tempDir } from '../support/local.ts';
import { getTensorflowVenv, REPO_ROOT, templateCopy } from '../support/tensorflow.ts';
import { type MetricValue, metricsOf, runJob } from '../support/tf-jobs.ts';

const venv = getTensorflowVenv();
const home = tempDir('strato-tf-metrics-');
afterAll(() => home.remove());
const PYTHON_SUPPORT = join(REPO_ROOT, 'test', 'support', 'python');

/** What TensorBoard's EventAccumulator reads from a log folder, one value per run, tag and step. */
function tensorboardReads(logdir: string): MetricValue[] {
  const out = execFileSync(venv.python, [join(PYTHON_SUPPORT, 'tensorboard_scalars.py'), logdir], {
    env: venv.env(),
    encoding: 'utf8',
  });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
}

function byKey(values: MetricValue[]): [string, number][] {
  return values
    .map((v): [string, number] => [`${v.run} ${v.tag} @${v.step}`, v.value])
    .sort(([a], [b]) => (a < b ? -1 : 1));
}

describe('metrics against TensorBoard', () => {
  it("a real job's Keras TensorBoard files read the same in strato metrics and in EventAccumulator", async () => {
    const file = templateCopy('tf-local-one-device.yaml', join(home.path, 'job'), {
      args: ['--epochs=2', '--steps-per-epoch=20', '--save=weights'],
    });
    const job = await runJob(venv, home.path, file);
    expect(job.code, job.stdout + job.stderr).toBe(0);
    const logs = join(home.path, 'runs', job.id, 'logs');
    const reference = tensorboardReads(logs);
    // Keras 3's callback: epoch_* under train/ and validation/, evaluation_*_vs_iterations under validation/.
    expect(new Set(reference.map((v) => `${v.run}/${v.tag}`))).toEqual(
      new Set([
        'train/epoch_loss',
        'train/epoch_accuracy',
        'train/epoch_learning_rate',
        'validation/epoch_loss',
        'validation/epoch_accuracy',
        'validation/evaluation_loss_vs_iterations',
        'validation/evaluation_accuracy_vs_iterations',
      ]),
    );
    expect(byKey(await metricsOf(venv, home.path, logs))).toEqual(byKey(reference));
  }, 120_000);

  it('tf.summary (TF2 tensors) and tf.compat.v1 (simple_value) files read the same in both', async () => {
    const logdir = join(home.path, 'tf-summary');
    execFileSync(venv.python, [join(PYTHON_SUPPORT, 'write_tf_summaries.py'), logdir], { env: venv.env() });
    const reference = tensorboardReads(logdir);
    expect(reference).toHaveLength(3 * 50 + 20);
    expect(byKey(await metricsOf(venv, home.path, logdir))).toEqual(byKey(reference));
  }, 60_000);

  it("Strato's EventFileWriter files load in EventAccumulator with the values written", async () => {
    const logdir = join(home.path, 'strato-writer');
    const written: MetricValue[] = [];
    for (const scalarFormat of ['tensor', 'simple_value'] as const) {
      const writer = await EventFileWriter.create(join(logdir, scalarFormat), { scalarFormat });
      for (let step = 0; step < 30; step++) {
        // float32 values, as event files store them.
        const value = Math.fround(Math.sin(step) * 10 ** (step % 5));
        writer.addScalar('loss', value, step);
        written.push({ run: scalarFormat, tag: 'loss', step, value });
      }
      await writer.close();
    }
    expect(byKey(tensorboardReads(logdir))).toEqual(byKey(written));
  }, 60_000);
});
