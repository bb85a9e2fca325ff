/**
 * `strato run` of a job that may restart (its controller is a separate
 * process): the restart shows as a line while following, and a `strato
 * run` killed with SIGKILL still leaves nothing running — controller
 * included.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findControllerRecord } from '../../src/jobs/controller.ts';
import { createJobStore } from '../../src/jobs/store.ts';
import { getJob } from '../../src/jobs/submit.ts';
import { expectNothingSurvives, REPO_ROOT, shellSpec, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-run-restart-');
afterAll(() => home.remove());
const store = createJobStore(home.path);

function strato(
  name: string,
  script: string,
): { child: ChildProcess; output(): string; exited: Promise<number | null> } {
  const file = join(home.path, `${name}.yaml`);
  const spec = shellSpec(script, { name, scheduling: { maxRestarts: 1 } });
  writeFileSync(
    file,
    JSON.stringify({ ...spec, container: { ...spec.container, env: { MARKS: home.path } } }),
  );
  const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), 'run', file], {
    env: { ...process.env, STRATO_HOME: home.path },
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
  return { child, output: () => output, exited: new Promise((resolve) => child.on('exit', resolve)) };
}

describe('strato run with restarts allowed', () => {
  it('shows the restart and ends SUCCEEDED on attempt 2', async () => {
    const run = strato(
      'run-restart',
      'if [ "$STRATO_REPLICA_INDEX" = 1 ] && [ ! -e "$MARKS/preempted" ]; then touch "$MARKS/preempted"; exit 143; fi; echo ok',
    );
    expect(await run.exited, run.output()).toBe(0);
    expect(run.output()).toMatch(
      /restart {4}attempt 2: worker-1 exited with code 143 \(a preemption\); restarting as attempt 2 of 2/,
    );
    expect(run.output()).toMatch(/SUCCEEDED in [\d.]+ s \(attempt 2, 1 restart\)/);
  });

  it('SIGKILL of strato run cancels the job; its controller and replicas are gone', async () => {
    const run = strato('run-restart-kill', 'sleep 30');
    const id = await waitFor(() => /submitted\s+(\S+)/.exec(run.output())?.[1], 'the job id');
    await waitFor(() => run.output().includes('job        RUNNING'), 'RUNNING');
    const jobDir = store.getJob(id).jobDir;
    expect(findControllerRecord(jobDir)?.pid).toBeGreaterThan(0);
    run.child.kill('SIGKILL');
    await run.exited;
    await expectNothingSurvives(jobDir);
    const status = await (await getJob(id, { home: home.path })).status();
    expect(status.state).toBe('CANCELLED');
    expect(status.message).toContain(
      'the process that started the job (strato run) exited without cancelling it',
    );
  });
});
