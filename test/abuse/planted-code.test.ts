/**
 * Strato executes only code from its own install and the user's own files
 * (issue 17, finding 1). A shared, world-writable TMPDIR is where another
 * user can plant files: an earlier Strato imported whatever bundle
 * `$TMPDIR/strato-<uid>/<name>/manifest.json` named. Here such a manifest
 * and bundle are planted, owned by someone else, and a local job and a
 * TypeScript spec run through the CLI: the planted code must never run.
 */

import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'bin/strato.js');
/** The user `nobody` (65534 on Debian): the other user of the finding. */
const NOBODY = 65534;

const work = mkdtempSync(join(tmpdir(), 'strato-abuse-planted-'));
const shared = join(work, 'shared-tmp');
const home = join(work, 'home');
const marker = join(work, 'planted-code-ran');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A bundle that leaves a marker when imported, and the manifest an earlier Strato trusted to find it. */
function plant(
  name: string,
  entry: string,
  extra: { packages: string; define: Record<string, string> },
): void {
  const folder = join(shared, `strato-${userInfo().uid}`, name);
  mkdirSync(folder, { recursive: true });
  const bundle = join(folder, `${name}-0000000000000000.mjs`);
  writeFileSync(
    bundle,
    `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, ${JSON.stringify(name)});\n`,
  );
  // The esbuild settings an earlier Strato compared against, so that version would have taken the bundle.
  const settings = JSON.stringify({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: extra.packages,
    write: false,
    metafile: true,
    absWorkingDir: dirname(entry),
    define: extra.define,
  });
  writeFileSync(join(folder, 'manifest.json'), JSON.stringify({ inputs: {}, settings, bundle }));
  if (process.getuid?.() === 0) {
    for (const path of [bundle, join(folder, 'manifest.json'), folder]) chownSync(path, NOBODY, NOBODY);
  }
}

function strato(args: string[]): string {
  return execFileSync(process.execPath, [BIN, ...args], {
    cwd: work,
    env: { ...process.env, TMPDIR: shared, STRATO_HOME: home },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('code Strato executes', () => {
  it('never comes from a world-writable TMPDIR, even when a build cache planted there matches', () => {
    mkdirSync(shared, { recursive: true });
    chmodSync(shared, 0o1777);
    const supervisor = join(ROOT, 'src/providers/local/supervisor-main.ts');
    const decodeWorker = join(ROOT, 'src/metrics/decode-worker.ts');
    plant('supervisor', supervisor, { packages: 'external', define: {} });
    plant('metrics-decode', decodeWorker, {
      packages: 'bundle',
      define: { 'import.meta.url': JSON.stringify(pathToFileURL(decodeWorker).href) },
    });

    const spec = join(work, 'quick.yaml');
    writeFileSync(
      spec,
      JSON.stringify({
        apiVersion: 'strato.dev/v1',
        kind: 'Job',
        name: 'quick',
        strategy: 'multi-worker-mirrored',
        container: { command: ['sh', '-c', 'exit 0'] },
        resources: { workers: { replicas: 2 } },
      }),
    );
    const out = strato(['run', spec]);
    expect(out).toMatch(/SUCCEEDED/);

    const tsSpec = join(work, 'quick.ts');
    writeFileSync(
      tsSpec,
      "export default { apiVersion: 'strato.dev/v1', kind: 'Job', name: 'ts', strategy: 'one-device', container: { command: ['true'] } } as const;\n",
    );
    expect(strato(['validate', tsSpec])).toMatch(/^ok/);

    expect(existsSync(marker)).toBe(false);
    // Nor does Strato keep a cache of its own there (tsx's transform cache included).
    expect(readdirSync(shared).sort()).toEqual([`strato-${userInfo().uid}`]);
  });

  it("starts every Node entry of its own from the package's install folder", async () => {
    const built = (module: string) => pathToFileURL(join(ROOT, 'dist', `${module}.js`)).href;
    const { SUPERVISOR_MAIN, supervisorNodeArgs } = (await import(
      built('providers/local/supervisor-launch')
    )) as typeof import('../../src/providers/local/supervisor-launch.ts');
    expect(relative(ROOT, SUPERVISOR_MAIN)).toBe('dist/providers/local/supervisor-main.js');
    expect(supervisorNodeArgs()).toEqual([SUPERVISOR_MAIN]);
  });
});
