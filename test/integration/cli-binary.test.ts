/** The `strato` executable as a user runs it: a process, its exit code and its output. */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('the strato binary', () => {
  it('runs from the package build: --help exits 0, an unknown command exits 2', async () => {
    const help = await run('node', ['bin/strato.js', '--help']);
    expect(help.stdout).toContain('Usage: strato COMMAND');
    await expect(run('node', ['bin/strato.js', 'frobnicate'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('unknown command "frobnicate"'),
    });
  });
});
