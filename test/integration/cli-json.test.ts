/**
 * Commands as a script drives them (issue 18, item 7): `--json` on run, watch
 * and cancel, standard output parsed line by line; `metrics --follow JOB`
 * ending by itself when the job ends.
 */

import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, shellSpec, tempDir } from '../support/local.ts';

const home = tempDir('strato-json-');
afterAll(() => home.remove());

async function strato(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, STRATO_HOME: home.path },
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
}

function specFile(name: string, script: string): string {
  const file = join(home.path, `${name}.json`);
  writeFileSync(file, JSON.stringify(shellSpec(script, { name })));
  return file;
}

/** Every stdout line must be one JSON object. */
const ndjson = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

describe('--json', () => {
  it('run: NDJSON from submitted to summary, nothing else on stdout', async () => {
    const result = await strato('run', specFile('json-run', 'echo hi'), '--json');
    expect(result.code, result.stderr).toBe(0);
    const lines = ndjson(result.stdout);
    expect(lines[0]).toMatchObject({
      type: 'submitted',
      id: expect.stringMatching(/^json-run-/),
      detached: false,
    });
    expect(lines.some((l) => l.type === 'replica')).toBe(true);
    expect(lines.some((l) => l.type === 'state' && l.state === 'SUCCEEDED')).toBe(true);
    expect(lines.at(-1)).toMatchObject({ type: 'summary', state: 'SUCCEEDED', attempt: 1, restarts: 0 });
    for (const line of lines) expect(Date.parse(line.at as string)).not.toBeNaN();
  });

  it('cancel: one object per job, and a job that had ended says so', async () => {
    const submitted = await strato('submit', specFile('json-cancel', 'sleep 30'), '--json');
    const { id } = JSON.parse(submitted.stdout) as { id: string };
    const first = await strato('cancel', id, '--json');
    expect(first.code, first.stderr).toBe(0);
    expect(ndjson(first.stdout)).toEqual([{ id, state: 'CANCELLED', alreadyEnded: false }]);
    const again = await strato('cancel', id, '--json');
    expect(ndjson(again.stdout)).toEqual([{ id, state: 'CANCELLED', alreadyEnded: true }]);
  });

  it('watch: one object per change until the job ends', async () => {
    const submitted = await strato('submit', specFile('json-watch', 'sleep 1'), '--json');
    const { id } = JSON.parse(submitted.stdout) as { id: string };
    const result = await strato('watch', id, '--json', '--interval', '0.2');
    expect(result.code, result.stderr).toBe(0);
    const lines = ndjson(result.stdout);
    expect(lines.at(-1)).toMatchObject({ id, state: 'SUCCEEDED', attempt: 1 });
    expect(lines.every((l) => l.id === id)).toBe(true);
  });
});

describe('metrics --follow of a job id', () => {
  it('ends by itself once the job has ended, after its last epoch (as logs --follow does)', async () => {
    const submitted = await strato('submit', 'templates/quickstart.yaml', '--json');
    expect(submitted.code, submitted.stderr).toBe(0);
    const { id } = JSON.parse(submitted.stdout) as { id: string };
    const started = Date.now();
    const follow = await strato('metrics', id, '--follow');
    expect(follow.code, follow.stderr).toBe(0);
    expect(Date.now() - started).toBeLessThan(45_000);
    // The quickstart trains 6 epochs: the last one's values are there, counted from 1.
    expect(follow.stdout).toMatch(/train\s+epoch_loss\s+epoch 6\s/);
    expect(follow.stdout).not.toMatch(/epoch 7/);
    const status = await strato('status', id, '--json');
    expect(JSON.parse(status.stdout).status.state).toBe('SUCCEEDED');
  });
});
