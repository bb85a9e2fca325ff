import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as {
  engines: { node: string };
  devDependencies: Record<string, string>;
};

/** Runs bin/strato.js on this Node made to report `version`, as an older Node would. */
function stratoOnNode(version: string) {
  const pretend = `data:text/javascript,Object.defineProperty(process.versions, 'node', { value: '${version}' });`;
  return spawnSync(process.execPath, ['--import', pretend, 'bin/strato.js', '--version'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
}

describe('the Node Strato runs on', () => {
  it('is the one the repository pins (the `node` devDependency) when tests run through npm', () => {
    const pinned = /\d+/.exec(pkg.devDependencies.node ?? '')?.[0];
    expect(process.versions.node.split('.')[0]).toBe(pinned);
  });

  it('has one floor: bin/strato.js checks the one engines.node declares', () => {
    const floor = /^>=(\d+\.\d+)$/.exec(pkg.engines.node)?.[1];
    expect(readFileSync(`${ROOT}/bin/strato.js`, 'utf8')).toContain(
      `NODE_FLOOR = [${floor?.replace('.', ', ')}]`,
    );
  });

  it('below the floor, strato says in one line which Node it needs and how to get it, exit 2', () => {
    const old = stratoOnNode('20.20.2');
    expect(old.status).toBe(2);
    expect(old.stdout).toBe('');
    expect(old.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/needs Node\.js 22\.12 or newer; this is Node 20\.20\.2 .*`npm ci`.*`npx strato/),
    ]);
    expect(stratoOnNode('22.12.0').status).toBe(0);
  });

  it('--version --verbose names the package version, the Node it runs on and the platform', () => {
    const out = execFileSync(process.execPath, ['bin/strato.js', '--version', '--verbose'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(out).toContain(`node ${process.versions.node}`);
    expect(out).toMatch(/^strato \d+\.\d+\.\d+/);
    expect(out).toContain(`platform ${process.platform}-${process.arch}`);
  });
});
