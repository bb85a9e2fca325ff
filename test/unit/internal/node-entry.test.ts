import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { nodeArgsFor, packageModule, RUNS_FROM_BUILD } from '../../../src/internal/node-entry.ts';

describe('node entries', () => {
  it('names a module beside the caller: its .ts source when running from the sources', () => {
    expect(RUNS_FROM_BUILD).toBe(false);
    expect(packageModule('./x/y.ts', 'file:///pkg/src/a/b.ts')).toBe('/pkg/src/a/x/y.ts');
  });

  it('runs a .ts source with plain Node on a Node that strips types', () => {
    expect(nodeArgsFor('/pkg/src/a.ts')).toEqual(['/pkg/src/a.ts']);
    expect(nodeArgsFor('/pkg/dist/a.js')).toEqual(['/pkg/dist/a.js']);
  });

  it('falls back to tsx for a .ts source where Node cannot strip types', () => {
    const script = `
      Object.defineProperty(process.features, 'typescript', { value: false });
      const { nodeArgsFor } = await import('./src/internal/node-entry.ts');
      console.log(JSON.stringify(nodeArgsFor('/pkg/src/a.ts')));`;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    const args = JSON.parse(out) as string[];
    expect(args[0]).toBe('--import');
    expect(args[1]).toMatch(/\/node_modules\/tsx\//);
    expect(args[2]).toBe('/pkg/src/a.ts');
  });
});
