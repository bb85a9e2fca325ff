/**
 * Finding 7 of the hardening issue: values from the input were echoed
 * without a length limit (a 1 MB `name` put 2 MB on stderr), because
 * `describeValue` shortened everything but strings.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { describeValue } from '../../src/errors.ts';
import { tempDir } from '../support/local.ts';

const work = tempDir('strato-echo-');
afterAll(() => work.remove());

describe('values echoed in errors', () => {
  it('a long string is shortened, saying how long it was', () => {
    const shown = describeValue('y'.repeat(1_000_000));
    expect(shown.length).toBeLessThan(120);
    expect(shown).toMatch(/^"y+"\.\.\. \(1000000 characters\)$/);
    expect(describeValue('short')).toBe('"short"');
  });

  it.each([
    ['name', (big: string) => ({ name: big })],
    ['strategy', (big: string) => ({ strategy: big })],
    ['an unknown field', (big: string) => ({ [big.slice(0, 200_000)]: 1 })],
    ['an env value', (big: string) => ({ container: { command: ['true'], env: { 'BAD NAME': big } } })],
  ])('a spec with a 900 KB %s gets a short error', async (_what, make) => {
    const spec = {
      apiVersion: 'strato.dev/v1',
      kind: 'Job',
      name: 'echo',
      strategy: 'one-device',
      container: { command: ['true'] },
      ...make('z'.repeat(900_000)),
    };
    const path = join(work.path, 'spec.json');
    writeFileSync(path, JSON.stringify(spec));
    const io = bufferIo({ env: { ...process.env, STRATO_HOME: work.path } });
    const started = Date.now();
    const code = await main(['validate', path], io);
    expect(code).toBe(2);
    expect(io.stderr.length).toBeLessThan(4_000);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
