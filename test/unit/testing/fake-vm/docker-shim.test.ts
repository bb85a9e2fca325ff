/**
 * The fake VMs' `docker` (a test double) as a script runs it, through the
 * launcher the fleet puts on a VM's PATH: pull and run against the image
 * table, with docker's exit statuses, env files, entrypoints and signals.
 */

import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { installDockerShim } from '../../../../src/testing/fake-vm/docker-install.ts';
import { tempDir, waitFor } from '../../../support/local.ts';

const dir = tempDir('strato-docker-shim-');
afterAll(() => dir.remove());
const IMAGE = 'us-docker.pkg.dev/p/r/echo:1';
const shim = installDockerShim(dir.path, {
  [IMAGE]: ['sh', '-c', 'echo "A=$A B=$B args=$*"; exit "$1"', 'echo'],
  'us-docker.pkg.dev/p/r/sleeper:*': ['sh', '-c', 'echo $$ > "$PID_FILE"; exec sleep 30'],
});
const docker = join(shim.bin, 'docker');
const env = { ...process.env, ...shim.env };

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(docker, args, { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

describe('the docker shim of fake VMs', () => {
  it('pulls an image of the table, and refuses another with docker’s words and status 1', async () => {
    expect((await run('pull', IMAGE)).code).toBe(0);
    const unknown = await run('pull', 'us-docker.pkg.dev/p/r/nothing:1');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('pull access denied for us-docker.pkg.dev/p/r/nothing');
  });

  it('runs the mapped command with the env file, -e and the args, and exits with its status', async () => {
    const envFile = join(dir.path, 'env');
    writeFileSync(envFile, '# comment\nA=from file = kept\n\n');
    const answer = await run(
      'run',
      '--net=host',
      '--gpus',
      'all',
      '--env-file',
      envFile,
      '-e',
      'B=two',
      IMAGE,
      '7',
    );
    expect(answer).toMatchObject({ code: 7, stdout: 'A=from file = kept B=two args=7\n' });
  });

  it('replaces the command with --entrypoint', async () => {
    const answer = await run('run', '--entrypoint', 'echo', IMAGE, 'hello', 'there');
    expect(answer).toMatchObject({ code: 0, stdout: 'hello there\n' });
  });

  it('fails as docker does on an unknown flag (125) and an unknown image (125)', async () => {
    expect((await run('run', '--frobnicate', IMAGE)).code).toBe(125);
    const missing = await run('run', 'us-docker.pkg.dev/p/r/nothing:1');
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("Unable to find image 'us-docker.pkg.dev/p/r/nothing:1' locally");
  });

  it('passes SIGTERM to the program and reports 128 + 15', async () => {
    const pidFile = join(dir.path, 'sleeper.pid');
    const child = spawn(docker, ['run', '-e', `PID_FILE=${pidFile}`, 'us-docker.pkg.dev/p/r/sleeper:2'], {
      env,
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const pid = await waitFor(() => {
      try {
        return Number(readFileSync(pidFile, 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    }, 'the program to start');
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(() => process.kill(pid, 0)).toThrow();
  });
});
