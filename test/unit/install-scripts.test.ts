import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

describe('install scripts', () => {
  it('are all reviewed in allowScripts: npm ci runs only the approved one and warns about none', () => {
    const out = execFileSync('npm', ['install-scripts', 'ls'], { cwd: ROOT, encoding: 'utf8' });
    expect(out.trim()).toBe('No packages with unreviewed install scripts.');
    const pkg = JSON.parse(readFileSync(`${ROOT}/package.json`, 'utf8')) as {
      allowScripts: Record<string, boolean>;
    };
    // Only the `node` devDependency's installer (it fetches the Node 24 binary) may run.
    expect(Object.entries(pkg.allowScripts).filter(([, allowed]) => allowed)).toEqual([['node', true]]);
  });
});
