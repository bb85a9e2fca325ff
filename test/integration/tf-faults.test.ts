/**
 * Real TensorFlow jobs that go wrong say why: a raising program is FAILED with
 * the traceback's last lines in `strato status`; a TF_CONFIG TensorFlow
 * rejects is named; a Python without TensorFlow says how to install it.
 */

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/local.ts';
import { getTensorflowVenv, templateCopy } from '../support/tensorflow.ts';
import { runJob, strato } from '../support/tf-jobs.ts';

const venv = getTensorflowVenv();
const home = tempDir('strato-tf-faults-');
afterAll(() => home.remove());

const TRAIN = 'trainer-images/examples/mnist/train.py';

async function failedStatus(file: string, env = venv) {
  const job = await runJob(env, home.path, file);
  expect(job.code, job.stdout).not.toBe(0);
  expect(job.stdout, job.stderr).toContain('job        FAILED');
  const status = await strato(env, home.path, 'status', job.id);
  expect(status.stdout).toMatch(/FAILED/);
  return status.stdout;
}

describe('real TensorFlow faults', () => {
  it('a program that raises is FAILED with the last lines of its Python traceback in status', async () => {
    const missing = join(home.path, 'no-such-data');
    const file = templateCopy('tf-local-one-device.yaml', join(home.path, 'raises'), {
      args: ['--epochs=1', `--data-dir=${missing}`],
    });
    const status = await failedStatus(file);
    expect(status).toContain('last lines of worker-0:');
    expect(status).toMatch(
      new RegExp(
        `\\| tensorflow\\.python\\.framework\\.errors_impl\\.NotFoundError: ${missing}/\\S+; No such file or directory\\n`,
      ),
    );
  }, 120_000);

  it('a TF_CONFIG TensorFlow rejects is named, with its value and the fix', async () => {
    // Strato's spec refuses container.env.TF_CONFIG; a hand-edited command line can still set one.
    const bad = JSON.stringify({
      cluster: { worker: ['127.0.0.1:1', '127.0.0.1:2'] },
      task: { type: 'worker', index: 5 },
    });
    const file = templateCopy('tf-local-multi-worker-mirrored.yaml', join(home.path, 'tf-config'), {
      edit: (spec) => {
        spec.container!.command = ['sh', '-c', `TF_CONFIG='${bad}' exec python3 ${TRAIN} --epochs=1`];
        spec.scheduling = { maxRestarts: 0 };
      },
    });
    const status = await failedStatus(file);
    expect(status).toMatch(/worker-\d exited with code 2/);
    expect(status).toContain(
      'strato_trainer: TensorFlow rejected TF_CONFIG: The `task_id` 5 exceeds the maximum id of worker.',
    );
    expect(status).toContain('TF_CONFIG is set by Strato for each replica; do not set it by hand');
  }, 120_000);

  it('a Python without TensorFlow says how to install it', async () => {
    const bare = join(home.path, 'bare-venv');
    execFileSync('python3', ['-m', 'venv', '--without-pip', bare]);
    const file = templateCopy('tf-local-one-device.yaml', join(home.path, 'no-tf'), { args: ['--epochs=1'] });
    const noTf = {
      ...venv,
      env: (extra = {}) => ({ ...venv.env(extra), PATH: `${bare}/bin:${process.env.PATH}` }),
    };
    const status = await failedStatus(file, noTf);
    expect(status).toContain('worker-0 exited with code 2');
    expect(status).toMatch(/strato_trainer: TensorFlow is not installed in this Python \(\S+\)/);
    expect(status).toContain('pip install tensorflow-cpu==2.21.0');
    expect(status).toContain('bash test/setup/ensure-tensorflow.sh');
  }, 60_000);
});
