/**
 * Finding 13 of the hardening issue, and the "also" item on modes:
 * file-system errors in STRATO_HOME (ENOSPC, EACCES, ENOTDIR) were reported
 * as Strato bugs, temp files were left behind, failed submits left empty
 * job folders, and job records and `launch.json` (which holds the spec's
 * `container.env`) were world-readable.
 */

import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { toStratoError } from '../../src/errors.ts';
import { writeJsonAtomic } from '../../src/internal/atomic-json.ts';
import { shellSpec, tempDir, waitFor } from '../support/local.ts';

const work = tempDir('strato-home-fs-');
afterAll(() => work.remove());

async function strato(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const io = bufferIo({ env: { ...process.env, ...env } });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

function specFile(name: string, extra: Record<string, unknown> = {}): string {
  const path = join(work.path, `${name}.yaml`);
  writeFileSync(path, JSON.stringify({ ...shellSpec('sleep 30', { name }), ...extra }));
  return path;
}

describe('file-system errors in STRATO_HOME', () => {
  it('GIVEN STRATO_HOME is a file THEN submit fails with E_IO naming the path and the fix, not a bug', async () => {
    const home = join(work.path, 'home-is-a-file');
    writeFileSync(home, 'not a folder');
    const result = await strato({ STRATO_HOME: home }, 'submit', specFile('enotdir'));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: cannot \w+ .*home-is-a-file.*: ENOTDIR/);
    expect(result.stderr).toContain('hint: a file stands where a folder is needed: check STRATO_HOME');
    expect(result.stderr).not.toMatch(/bug in Strato/);
  });

  it('a full disk (a real ENOSPC from /dev/full) is E_IO with the fix', () => {
    let thrown: unknown;
    try {
      writeFileSync('/dev/full', 'x');
    } catch (error) {
      thrown = error;
    }
    const error = toStratoError(thrown);
    expect(error.code).toBe('E_IO');
    expect(error.message).toMatch(/ENOSPC/);
    expect(error.hint).toMatch(/disk is full/);
  });

  it('a record write that fails leaves no temp file behind', () => {
    const dir = join(work.path, 'atomic');
    // The target is a non-empty folder: the final rename fails after the temp file was written.
    mkdirSync(join(dir, 'job.json', 'inside'), { recursive: true });
    expect(() => writeJsonAtomic(join(dir, 'job.json'), { a: 1 })).toThrow();
    expect(readdirSync(dir)).toEqual(['job.json']);
  });

  it('a submit that fails leaves no job folder', async () => {
    const home = join(work.path, 'home-failed-submit');
    const result = await strato(
      { STRATO_HOME: home, DOCKER_HOST: 'unix:///nonexistent/docker.sock', PATH: '/nonexistent' },
      'submit',
      '--docker',
      specFile('failed-submit'),
    );
    expect(result.code).not.toBe(0);
    expect(readdirSync(join(home, 'jobs'))).toEqual([]);
  });

  it('job records, launch.json and logs are 0600 in 0700 folders', async () => {
    const home = join(work.path, 'home-modes');
    const submitted = await strato(
      { STRATO_HOME: home },
      'submit',
      specFile('modes', { container: { command: ['sh', '-c', 'sleep 30'], env: { API_TOKEN: 'secret' } } }),
    );
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    const jobDir = join(home, 'jobs', id);
    try {
      await waitFor(
        async () => (await strato({ STRATO_HOME: home }, 'status', id)).stdout.includes('RUNNING'),
        'RUNNING',
      );
      const mode = (path: string) => (statSync(path).mode & 0o777).toString(8);
      expect(mode(join(home, 'jobs'))).toBe('700');
      expect(mode(jobDir)).toBe('700');
      expect(mode(join(jobDir, 'logs'))).toBe('700');
      for (const file of [
        'job.json',
        'launch.json',
        'supervisor.json',
        'supervisor.log',
        'logs/worker-0.log',
      ]) {
        expect([file, mode(join(jobDir, file))]).toEqual([file, '600']);
      }
    } finally {
      await strato({ STRATO_HOME: home }, 'cancel', id);
    }
  });
});
