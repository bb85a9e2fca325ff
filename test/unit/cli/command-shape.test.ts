/**
 * Every command has the same shape (issue 18, item 7): an argument beyond
 * those its usage names is a usage error (exit 2), never silently dropped;
 * every `--help` ends with examples of that command.
 */

import { describe, expect, it } from 'vitest';
import { commandHelp, maxPositionals } from '../../../src/cli/command.ts';
import { COMMANDS } from '../../../src/cli/commands/index.ts';
import { bufferIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';

describe('positional arguments', () => {
  it('maxPositionals reads the usage line: words before the first option, unbounded with "..."', () => {
    expect(maxPositionals('ID [--json]')).toBe(1);
    expect(maxPositionals('push SRC DST [--delete]')).toBe(3);
    expect(maxPositionals('[--json]')).toBe(0);
    expect(maxPositionals('ID... [--force]')).toBe(Number.POSITIVE_INFINITY);
    expect(maxPositionals('[ID...] [--interval SEC]')).toBe(Number.POSITIVE_INFINITY);
  });

  const extra = [
    ['metrics', 'job-a', 'job-b'],
    ['status', 'job-a', 'extra'],
    ['logs', 'job-a', 'extra'],
    ['run', 'a.yaml', 'b.yaml'],
    ['submit', 'a.yaml', 'b.yaml'],
    ['explain', 'a.yaml', 'b.yaml'],
    ['list', 'extra'],
    ['fake-cloud', 'extra'],
    ['data', 'push', 'src', 'dst', 'extra'],
  ];
  for (const argv of extra) {
    it(`strato ${argv.join(' ')}: exit 2 naming the extra argument, nothing run`, async () => {
      const io = bufferIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr).toContain(`error: unexpected argument "${argv.at(-1)}"`);
      expect(io.stderr).toContain(`hint: usage: strato ${argv[0]}`);
      expect(io.stdout).toBe('');
    });
  }

  it('--help still works with arguments around it', async () => {
    const io = bufferIo();
    expect(await main(['status', 'a', 'b', '--help'], io)).toBe(0);
    expect(io.stdout).toContain('Usage: strato status');
  });
});

describe('--help', () => {
  it('every command ends its help with examples of itself', async () => {
    for (const entry of COMMANDS) {
      const help = commandHelp(await entry.load());
      const examples = help
        .slice(help.indexOf('\nExamples:\n') + 1)
        .split('\n')
        .slice(1);
      expect(examples.length, entry.name).toBeGreaterThan(0);
      for (const line of examples) expect(line, entry.name).toContain(`strato ${entry.name}`);
    }
  });
});
