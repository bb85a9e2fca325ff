/**
 * The package as a user gets it: `npm pack`, installed from the tarball into
 * an empty folder (dependencies from the npm cache or registry), then used
 * there: the `strato` binary, a template, a TypeScript spec, `import
 * 'strato'` and `strato/testing`, and the one-line refusal on an old Node.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'strato-package-'));
const app = join(work, 'app');
const installed = join(app, 'node_modules', 'strato');
/** The Node running the tests (the pinned one) first on PATH, as `npm ci` arranges in the repository. */
const env = { ...process.env, PATH: `${dirname(process.execPath)}${delimiter}${process.env.PATH}` };

const run = (command: string, args: string[]) =>
  execFileSync(command, args, { cwd: app, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

beforeAll(() => {
  // --ignore-scripts: `prepare` would rebuild dist/ while other test files run bin/strato.js from it
  // (the suite's global set-up built it already).
  const tarball = execFileSync('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', work], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
  })
    .trim()
    .split('\n')
    .at(-1)!;
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(work, tarball)]);
}, 300_000);
// The install holds a whole node_modules (Node 24 included): removing it takes a while on a busy disk.
afterAll(() => rmSync(work, { recursive: true, force: true }), 120_000);

describe('the installed package', () => {
  it('ships its build, not its sources or tests', () => {
    expect(existsSync(join(installed, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(installed, 'dist/index.d.ts'))).toBe(true);
    expect(existsSync(join(installed, 'dist/metrics/proto/event.proto'))).toBe(true);
    expect(existsSync(join(installed, 'src'))).toBe(false);
    expect(existsSync(join(installed, 'test'))).toBe(false);
  });

  it('runs `npx strato`: --version, and validate on a template and on a TypeScript spec', () => {
    expect(run('npx', ['strato', '--version']).trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(run('npx', ['strato', 'validate', 'node_modules/strato/templates/quickstart.yaml'])).toMatch(
      /^ok/,
    );
    writeFileSync(
      join(app, 'job.ts'),
      "const name: string = 'typed';\nexport default { apiVersion: 'strato.dev/v1', kind: 'Job', name, strategy: 'one-device', container: { command: ['true'] } };\n",
    );
    expect(run('npx', ['strato', 'validate', 'job.ts'])).toMatch(/^ok/);
  });

  it("imports as 'strato' from an ESM script, with 'strato/testing' beside it", () => {
    writeFileSync(
      join(app, 'use.mjs'),
      [
        "import { planJob } from 'strato';",
        "console.log(JSON.stringify({ planJob: typeof planJob, testing: import.meta.resolve('strato/testing') }));",
      ].join('\n'),
    );
    const out = JSON.parse(run(process.execPath, ['use.mjs'])) as { planJob: string; testing: string };
    expect(out.planJob).toBe('function');
    expect(relative(installed, fileURLToPath(out.testing))).toBe('dist/testing/index.js');
  });

  it('starts its supervisor from inside its own install folder', () => {
    const script = `import('./node_modules/strato/dist/providers/local/supervisor-launch.js').then((m) => console.log(JSON.stringify(m.supervisorNodeArgs())))`;
    const args = JSON.parse(run(process.execPath, ['-e', script])) as string[];
    expect(args).toEqual([join(installed, 'dist/providers/local/supervisor-main.js')]);
  });

  it("ships the VMs' startup script beside the machines layout, and the fake VMs' docker shim built", () => {
    expect(existsSync(join(installed, 'dist/agent/startup-script.sh'))).toBe(true);
    expect(existsSync(join(installed, 'dist/testing/fake-vm/docker-shim.js'))).toBe(true);
  });

  it('on a Node older than engines.node, says so in one line and exits 2', () => {
    const pretend =
      "data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '20.19.0' });";
    const olds = [[process.execPath, '--import', pretend]];
    // A real old Node too, where the machine has one (these machines ship Node 20).
    for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
      const version = spawnSync(candidate, ['--version'], { encoding: 'utf8' }).stdout?.trim();
      if (version && Number(/^v(\d+)/.exec(version)?.[1]) < 22) olds.push([candidate]);
    }
    for (const [node, ...flags] of olds) {
      const result = spawnSync(node!, [...flags, 'node_modules/strato/bin/strato.js', '--version'], {
        cwd: app,
        encoding: 'utf8',
      });
      expect(result.status).toBe(2);
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/needs Node\.js 22\.12 or newer/),
      ]);
    }
  });
});
