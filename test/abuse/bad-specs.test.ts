/**
 * Finding 6 of the hardening issue: errors loading a spec broke the
 * contract "exit 2, one message, no stack". A `.ts` spec that throws, has a
 * syntax error or is missing, or a folder given as a spec, gave exit 1, the
 * message twice and "This is a bug in Strato"; `validate DIR good.ts` never
 * checked good.ts; a YAML alias bomb, 1,000 levels of nesting and two YAML
 * documents each failed in their own way; `explain --json` printed text.
 * Finding 7's second half: a huge spec is refused by size, at once.
 *
 * The `.ts` cases run through `bin/strato.js`, as a user runs it: the loader
 * there is not the one vitest uses.
 */

import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { REPO_ROOT, tempDir } from '../support/local.ts';

const work = tempDir('strato-bad-specs-');
afterAll(() => work.remove());
const file = (name: string, text: string) => {
  const path = join(work.path, name);
  writeFileSync(path, text);
  return path;
};

const GOOD = {
  apiVersion: 'strato.dev/v1',
  kind: 'Job',
  name: 'good',
  strategy: 'one-device',
  container: { command: ['true'] },
};
const goodTs = file('good.ts', `export default ${JSON.stringify(GOOD)};\n`);

async function cli(...argv: string[]) {
  const io = bufferIo({ env: { ...process.env, STRATO_HOME: work.path } });
  const code = await main(argv, io);
  return { code, out: io.stdout, err: io.stderr };
}

async function bin(...argv: string[]) {
  const result = await promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), ...argv], {
    env: { ...process.env, STRATO_HOME: work.path },
    cwd: work.path,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, out: stdout, err: stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      out: error.stdout,
      err: error.stderr,
    }),
  );
  return result;
}

/** Exit 2, the file named, the message once, no stack, no "bug", no path of Strato's own. */
function expectOneCleanError(result: { code: number; err: string }, name: string, what: RegExp) {
  expect(result.code).toBe(2);
  expect(result.err).toMatch(what);
  expect(result.err).toContain(name);
  expect(result.err).not.toMatch(/bug in Strato|\n\s+at |strato-\d+\/|node_modules/);
  const first = result.err.split('\n')[0]!;
  expect(result.err.split(first).length - 1).toBe(1);
}

describe('specs that fail to load', () => {
  it('a .ts spec that throws, has a syntax error or is missing: exit 2, one message (through bin/strato.js)', async () => {
    const throws = file('throws.ts', "throw new Error('no GPUs configured');\nexport default {};\n");
    const syntax = file('syntax.ts', 'export default { name: "x", \n  strategy: ;\n');
    const missing = join(work.path, 'missing.ts');
    const [a, b, c] = await Promise.all([
      bin('validate', throws),
      bin('validate', syntax),
      bin('explain', missing),
    ]);
    expectOneCleanError(a, 'throws.ts', /failed to load: .*no GPUs configured/);
    expectOneCleanError(b, 'syntax.ts', /failed to load: syntax error at line 2/);
    expectOneCleanError(c, 'missing.ts', /no such file/);
  });

  it('validate DIR good.ts: the folder is refused and good.ts is still checked', async () => {
    const dir = join(work.path, 'a-folder');
    mkdirSync(dir);
    const result = await cli('validate', dir, goodTs);
    expect(result.code).toBe(2);
    expect(result.err).toContain('a-folder: 1 problem');
    expect(result.err).toContain('is a folder');
    expect(result.out).toContain(`ok  ${goodTs}`);
    expect(result.err).not.toMatch(/bug in Strato/);
  });

  it('a YAML alias bomb is refused without expanding it', async () => {
    const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [prev, name] of [...'abcdefgh'].map((c, i, all) => [c, all[i + 1]] as const).slice(0, 7)) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    const started = Date.now();
    const result = await cli('validate', file('bomb.yaml', `${lines.join('\n')}\n`));
    expectOneCleanError(result, 'bomb.yaml', /cannot be expanded: .*alias/i);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it.each([
    ['deep-flow.yaml', `name: ${'['.repeat(1000)}${']'.repeat(1000)}\n`],
    ['deep-json.json', `{"name": ${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}}`],
    ['deep-ok-for-yaml.yaml', `name: ${'['.repeat(200)}${']'.repeat(200)}\n`],
  ])('%s: nesting too deep is one clear problem', async (name, text) => {
    const result = await cli('validate', file(name, text));
    expectOneCleanError(result, name, /nested (too deeply|more than 64 levels)/);
    expect(result.err).not.toMatch(/Maximum call stack/);
  });

  it('two YAML documents: says so in our words', async () => {
    const result = await cli(
      'validate',
      file('two.yaml', `${JSON.stringify(GOOD)}\n---\n${JSON.stringify(GOOD)}\n`),
    );
    expectOneCleanError(result, 'two.yaml', /more than one YAML document/);
    expect(result.err).not.toMatch(/parseAllDocuments/);
  });

  it('explain --json on a bad spec prints JSON', async () => {
    const bad = file('bad.yaml', 'name: 3\n');
    const result = await cli('explain', bad, '--json');
    expect(result.code).toBe(2);
    const printed = JSON.parse(result.out) as { valid: boolean; problems: { path: string }[] };
    expect(printed.valid).toBe(false);
    expect(printed.problems.length).toBeGreaterThan(0);
    const folder = await cli('explain', work.path, '--json');
    expect(JSON.parse(folder.out)).toMatchObject({ valid: false, code: 'E_SPEC_INVALID' });
  });

  it('a 50 MB spec is refused by its size at once, without reading it', async () => {
    const big = file('big.yaml', `name: "${'x'.repeat(50 * 1024 * 1024)}"\n`);
    const started = Date.now();
    const result = await cli('validate', big);
    expectOneCleanError(result, 'big.yaml', /at most 1 MiB/);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(result.err.length).toBeLessThan(2_000);
  });
});
