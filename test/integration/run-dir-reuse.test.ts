/**
 * Issue 18, item 2, driven as it was found: the same spec, with the same
 * `output:`, run again with `strato run` — which used to resume the first
 * job's checkpoints and replay its metrics as new ("SUCCEEDED in 0.5 s").
 * The second run is refused (exit 2) with the fix; `--resume JOB` continues
 * the first job on purpose; a run dir with no marker but checkpoints is
 * refused too; default run dirs (one per job id) never clash.
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { RUN_DIR_MARKER } from '../../src/jobs/run-dir-claim.ts';
import { REPO_ROOT, shellSpec, tempDir } from '../support/local.ts';

const work = tempDir('strato-reuse-');
afterAll(() => work.remove());

/** A one-replica job that leaves a checkpoint and counts the checkpoints it found. */
function writeSpec(file: string, output: string | undefined): string {
  const script =
    'ls "$AIP_CHECKPOINT_DIR" 2>/dev/null | wc -l | sed "s/^ */found checkpoints: /"; ' +
    'mkdir -p "$AIP_CHECKPOINT_DIR" && echo x > "$AIP_CHECKPOINT_DIR/ckpt-$$"';
  const spec = shellSpec(script, {
    name: 'reuse',
    strategy: 'one-device',
    resources: { workers: { replicas: 1 } },
    ...(output ? { output } : {}),
  });
  const path = join(work.path, file);
  writeFileSync(path, JSON.stringify(spec));
  return path;
}

async function strato(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), ...args], {
    cwd: work.path,
    env: { ...process.env, STRATO_HOME: join(work.path, 'home') },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

const jobIdOf = (stdout: string) => /submitted\s+(\S+)/.exec(stdout)![1]!;

describe('a run dir is never silently reused', () => {
  const spec = writeSpec('fixed-output.json', 'file://./runs/fixed');
  const runDir = join(work.path, 'runs', 'fixed');
  let firstId = '';

  it('GIVEN a job ran with output: ./runs/fixed THEN a marker names it there', async () => {
    const first = await strato('run', spec);
    expect(first.code, first.stderr).toBe(0);
    firstId = jobIdOf(first.stdout);
    const marker = JSON.parse(readFileSync(join(runDir, RUN_DIR_MARKER), 'utf8'));
    expect(marker).toMatchObject({ version: 1, jobId: firstId, name: 'reuse' });
  });

  it('WHEN the same spec runs again THEN it is refused, exit 2, naming the owner and both fixes', async () => {
    const again = await strato('run', spec);
    expect(again.code).toBe(2);
    expect(again.stdout).not.toContain('submitted');
    expect(again.stderr).toContain(`already holds job ${firstId}'s output`);
    expect(again.stderr).toContain('set a new `output:`');
    expect(again.stderr).toContain(`--resume ${firstId}`);
    expect(again.stderr).not.toMatch(/bug in Strato|\n\s+at /);
    // Nothing was written: the first job still owns the run dir.
    expect(JSON.parse(readFileSync(join(runDir, RUN_DIR_MARKER), 'utf8')).jobId).toBe(firstId);
  });

  it('WHEN --resume names a job that does not exist THEN refused', async () => {
    const wrong = await strato('run', spec, '--resume', 'reuse-nosuch');
    expect(wrong.code).toBe(2);
  });

  it('WHEN run with --resume FIRST THEN the new job continues from its checkpoints and takes the marker over', async () => {
    const resumed = await strato('run', spec, '--resume', firstId);
    expect(resumed.code, resumed.stderr).toBe(0);
    const secondId = jobIdOf(resumed.stdout);
    const marker = JSON.parse(readFileSync(join(runDir, RUN_DIR_MARKER), 'utf8'));
    expect(marker).toMatchObject({ jobId: secondId, continues: [firstId] });
    const logs = await strato('logs', secondId);
    expect(logs.stdout).toContain('found checkpoints: 1');
    // And a plain re-run is refused in the second job's name now.
    const again = await strato('run', spec);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain(`job ${secondId}'s output`);
  });

  it('GIVEN checkpoints with no marker (a run from another tool) THEN refused too', async () => {
    const foreign = join(work.path, 'runs', 'foreign');
    mkdirSync(join(foreign, 'checkpoints'), { recursive: true });
    writeFileSync(join(foreign, 'checkpoints', 'ckpt-1'), 'x');
    const result = await strato('run', writeSpec('foreign.json', 'file://./runs/foreign'));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('already holds checkpoints/');
    expect(existsSync(join(foreign, RUN_DIR_MARKER))).toBe(false);
  });

  it('GIVEN no output: THEN every run gets its own run dir and runs from scratch', async () => {
    const spec = writeSpec('default-output.json', undefined);
    for (let i = 0; i < 2; i++) {
      const result = await strato('run', spec);
      expect(result.code, result.stderr).toBe(0);
      expect((await strato('logs', jobIdOf(result.stdout))).stdout).toContain('found checkpoints: 0');
    }
  });
});
