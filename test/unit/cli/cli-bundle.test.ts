/** The CLI's cached build: split per command, found again only while its sources are unchanged. */

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { freshCliBundle } from '../../../bin/cli-bundle.js';
import { buildCliBundle } from '../../../src/cli/cli-bundle.ts';
import { COMMANDS } from '../../../src/cli/commands/index.ts';

const run = promisify(execFile);
const repo = resolve(import.meta.dirname, '../../..');
// Inside the package, as the real cache is: the build's bare imports resolve from node_modules.
const cacheDir = join(repo, 'node_modules/.cache/strato', `test-cli-${randomBytes(4).toString('hex')}`);
const scratch = join(cacheDir, 'scratch');
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

/** Runs `main(argv)` from the built entry in a new Node process (no TypeScript loader). */
async function runBuilt(entry: string, argv: string[]) {
  const script = `const { main } = await import(${JSON.stringify(pathToFileURL(entry).href)}); process.exitCode = await main(${JSON.stringify(argv)});`;
  return run(process.execPath, ['--input-type=module', '-e', script], { cwd: repo });
}

describe('the CLI build', () => {
  let entry: string;

  it('builds one entry and a chunk per lazily loaded module, and finds it again while the sources are unchanged', async () => {
    entry = (await buildCliBundle(cacheDir))!;
    expect(entry).toMatch(/build-[0-9a-f]{16}\/main\.mjs$/);
    expect(readdirSync(join(entry, '..')).filter((f) => f.startsWith('chunk-')).length).toBeGreaterThan(10);
    expect(freshCliBundle(cacheDir)).toBe(entry);
    // The entry itself imports no npm package: each command's chunk brings its own.
    expect(readFileSync(entry, 'utf8')).not.toMatch(/from ["'](zod|yaml|@grpc|@google-cloud)/);
  }, 60_000);

  it('runs commands with no TypeScript loader: YAML and zod from node_modules, files found beside the sources', async () => {
    const { stdout } = await runBuilt(entry, ['validate', 'templates/quickstart.yaml']);
    expect(stdout).toContain('quickstart.yaml');
    // The event proto is read with `new URL('./proto/event.proto', import.meta.url)` from src/metrics.
    const fixture = join(repo, 'test/fixtures/tfevents/events.out.tfevents.lingvo-test');
    const metrics = await runBuilt(entry, ['metrics', fixture, '--json']);
    expect(metrics.stdout.split('\n').filter(Boolean).length).toBeGreaterThan(0);
  }, 60_000);

  it('loads a TypeScript job spec by registering tsx on demand', async () => {
    // Outside node_modules: tsx leaves files in there untranspiled, as packages ship JavaScript.
    const specDir = mkdtempSync(join(tmpdir(), 'strato-ts-spec-'));
    const spec = join(specDir, 'job.ts');
    writeFileSync(
      spec,
      [
        "const name: string = 'typed-spec';",
        'export default {',
        "  apiVersion: 'strato.dev/v1', kind: 'Job', name, strategy: 'one-device',",
        "  container: { command: ['python3', '-c', 'print(1)'] },",
        '};',
      ].join('\n'),
    );
    try {
      const { stdout } = await runBuilt(entry, ['validate', spec]);
      expect(stdout).toContain('job.ts');
    } finally {
      rmSync(specDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('is not found once an input changed, or with no manifest', () => {
    mkdirSync(scratch, { recursive: true });
    const input = join(scratch, 'input.ts');
    writeFileSync(input, 'one');
    const manifestDir = join(scratch, 'manifest');
    mkdirSync(manifestDir, { recursive: true });
    const writeManifest = (record: { size: number; mtimeMs: number; sha256: string }) =>
      writeFileSync(
        join(manifestDir, 'manifest.json'),
        JSON.stringify({ inputs: { [input]: record }, entry: 'e.mjs' }),
      );
    const sha256 = createHash('sha256').update('one').digest('hex');
    // Size and mtime other than recorded: the hash decides.
    writeManifest({ size: 0, mtimeMs: 0, sha256 });
    expect(freshCliBundle(manifestDir)).toBe('e.mjs');
    writeFileSync(input, 'two');
    expect(freshCliBundle(manifestDir)).toBeUndefined();
    // Size and mtime as recorded: taken as unchanged without hashing.
    const { size, mtimeMs } = statSync(input);
    writeManifest({ size, mtimeMs, sha256 });
    expect(freshCliBundle(manifestDir)).toBe('e.mjs');
    expect(freshCliBundle(join(scratch, 'nothing-here'))).toBeUndefined();
  });
});

describe('the command list', () => {
  it('loads, for each name, the command of that name', async () => {
    for (const entry of COMMANDS) expect((await entry.load()).name).toBe(entry.name);
  });
});
