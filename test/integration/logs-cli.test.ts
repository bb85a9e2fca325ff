/**
 * `strato logs` flags on a local job, in-process as a user types them:
 * --tail N (per replica, local lines carrying no time), --json, and the
 * usage errors — --since on local lines, a bad --since or --tail, an extra
 * argument — each exit 2 with the fix. (Vertex: test/integration/vertex-logs.test.ts.)
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSince } from '../../src/cli/commands/logs.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { shellSpec, tempDir } from '../support/local.ts';

const home = tempDir('strato-logs-cli-');
afterAll(() => home.remove());
const env = { ...process.env, STRATO_HOME: home.path };
let id: string;

async function strato(...argv: string[]) {
  const io = bufferIo({ env });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

beforeAll(async () => {
  const file = join(home.path, 'five-lines.yaml');
  writeFileSync(
    file,
    JSON.stringify(shellSpec('for i in 1 2 3 4 5; do echo "line $i"; done', { name: 'five-lines' })),
  );
  const run = await strato('run', file);
  expect(run.code, run.stderr).toBe(0);
  id = (JSON.parse((await strato('list', '--json')).stdout.trim().split('\n')[0]!) as { id: string }).id;
});

describe('strato logs flags', () => {
  it('--tail N prints the last N lines of each replica', async () => {
    const { code, stdout } = await strato('logs', id, '--tail', '2');
    expect(code).toBe(0);
    expect(stdout).toBe('[worker-0] line 4\n[worker-0] line 5\n[worker-1] line 4\n[worker-1] line 5\n');
  });

  it('--json prints one object per line', async () => {
    const { stdout } = await strato('logs', id, '--json', '-n', '1', '--replica', 'worker-1');
    expect(JSON.parse(stdout)).toEqual({ replica: 'worker-1', text: 'line 5' });
  });

  it('refuses --since on local lines, a bad --since or --tail, and an extra argument, with exit 2', async () => {
    const since = await strato('logs', id, '--since', '10m');
    expect(since.code).toBe(2);
    expect(since.stderr).toContain('--tail');
    for (const args of [['--since', 'yesterday'], ['--tail', '0'], ['--tail', 'ten'], ['extra-argument']]) {
      const result = await strato('logs', id, ...args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).not.toContain('    at ');
    }
  });

  it('reads --since as a duration back from now or as a time', () => {
    const now = new Date('2026-01-31T12:00:00Z');
    expect(parseSince('90s', now).toISOString()).toBe('2026-01-31T11:58:30.000Z');
    expect(parseSince('1h30m', now).toISOString()).toBe('2026-01-31T10:30:00.000Z');
    expect(parseSince('2d', now).toISOString()).toBe('2026-01-29T12:00:00.000Z');
    expect(parseSince('2026-01-31T11:00:00Z', now).toISOString()).toBe('2026-01-31T11:00:00.000Z');
  });
});
