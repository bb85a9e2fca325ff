/**
 * Finding 5 of the hardening issue: `strato logs` read each log whole, so
 * memory grew with the log and a 600 MB log crashed it ("Cannot create a
 * string longer than 0x1fffffe8").
 *
 * GIVEN a finished job whose replica log is 600 MB (made sparse, so quick:
 * the holes read as NUL bytes, a "line" without newlines, then real lines)
 * WHEN `strato logs` prints it, as a separate process through bin/strato.js
 * THEN every byte comes out, the real last lines last, and the process's
 * peak memory stays far below the log's size.
 */

import { spawn } from 'node:child_process';
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { REPO_ROOT, shellSpec, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-huge-log-');
afterAll(() => home.remove());
const env = { ...process.env, STRATO_HOME: home.path };

const LOG_BYTES = 600 * 1024 * 1024;

async function strato(...argv: string[]) {
  const io = bufferIo({ env });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('strato logs on a 600 MB log', () => {
  it('streams it with bounded memory', { timeout: 120_000 }, async () => {
    const spec = join(home.path, 'huge.yaml');
    writeFileSync(
      spec,
      JSON.stringify(shellSpec('echo started', { name: 'huge', strategy: 'one-device', resources: {} })),
    );
    const id = (await strato('submit', spec)).stdout.trim();
    await waitFor(async () => (await strato('status', id)).stdout.includes('SUCCEEDED'), 'the job to end');
    const log = join(home.path, 'jobs', id, 'logs', 'worker-0.log');
    truncateSync(log, LOG_BYTES);
    appendFileSync(log, '\nline one after the gap\nthe very last line\n');

    // Peak RSS of the CLI process, written by a hook loaded before it.
    const hook = join(home.path, 'peak-rss.mjs');
    writeFileSync(
      hook,
      "import { writeSync } from 'node:fs';\nprocess.on('exit', () => writeSync(2, 'PEAK_RSS_KB ' + process.resourceUsage().maxRSS + '\\n'));\n",
    );
    const child = spawn(process.execPath, ['--import', hook, join(REPO_ROOT, 'bin/strato.js'), 'logs', id], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let bytes = 0;
    let tail = '';
    child.stdout.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      tail = (tail + chunk.toString('latin1')).slice(-200);
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
    });
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(stderr).not.toMatch(/Cannot create a string|bug in Strato/);
    expect(code).toBe(0);
    expect(tail.endsWith('[worker-0] line one after the gap\n[worker-0] the very last line\n')).toBe(true);
    expect(bytes).toBeGreaterThan(LOG_BYTES);
    const peakKb = Number(/PEAK_RSS_KB (\d+)/.exec(stderr)?.[1]);
    expect(peakKb).toBeGreaterThan(0);
    // Node itself with the CLI loaded is ~100 MB; reading the log whole took more than the log.
    expect(peakKb / 1024).toBeLessThan(250);
  });
});
