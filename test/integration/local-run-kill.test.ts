/**
 * `strato run` killed with SIGKILL, and `strato run --detach` interrupted:
 * what survives is checked with the OS.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createJobStore } from '../../src/jobs/store.ts';
import { expectNothingSurvives, REPO_ROOT, shellSpec, tempDir, waitFor } from './local-support.ts';

const home = tempDir('strato-run-kill-');
afterAll(() => home.remove());
const env = { ...process.env, STRATO_HOME: home.path };
const store = createJobStore(home.path);

interface RunningCli {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
  jobId(): Promise<string>;
}

function startRun(name: string, script: string, ...flags: string[]): RunningCli {
  const file = join(home.path, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(shellSpec(script, { name })));
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), 'run', file, ...flags], {
    env,
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    output: () => output,
    exited,
    jobId: () => waitFor(() => /submitted\s+(\S+)/.exec(output)?.[1], 'the job id in the output'),
  };
}

describe('strato run, ended from outside', () => {
  it('SIGKILL of strato run leaves no replica running, and the record says what happened', async () => {
    const run = startRun('run-kill', 'sleep 30');
    const id = await run.jobId();
    await waitFor(() => run.output().includes('job        RUNNING'), 'RUNNING');
    run.child.kill('SIGKILL');
    await run.exited;
    const jobDir = store.getJob(id).jobDir;
    await expectNothingSurvives(jobDir);
    const status = await waitFor(async () => {
      const job = await (await import('../../src/jobs/submit.ts')).getJob(id, { home: home.path });
      const s = await job.status();
      return s.state === 'CANCELLED' ? s : undefined;
    }, 'CANCELLED');
    expect(status.message).toContain(
      'the process that started the job (strato run) exited without cancelling it',
    );
  });

  it('--detach: Ctrl-C only stops following; the job goes on', async () => {
    const run = startRun('run-detach', 'sleep 30', '--detach');
    const id = await run.jobId();
    await waitFor(() => run.output().includes('job        RUNNING'), 'RUNNING');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    const { getJob } = await import('../../src/jobs/submit.ts');
    const job = await getJob(id, { home: home.path });
    expect((await job.status()).state).toBe('RUNNING');
    expect((await job.cancel()).state).toBe('CANCELLED');
    await expectNothingSurvives(job.record.jobDir);
  });
});
