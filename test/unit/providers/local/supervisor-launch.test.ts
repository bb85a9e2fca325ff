import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  bundledSupervisor,
  SUPERVISOR_MAIN,
  supervisorNodeArgs,
} from '../../../../src/providers/local/supervisor-launch.ts';
import { tempDir } from '../../../support/local.ts';

const cache = tempDir('strato-supervisor-cache-');
afterAll(() => cache.remove());

describe('supervisor launch', () => {
  it('bundles the supervisor once and reuses the bundle while its inputs are unchanged', () => {
    const first = bundledSupervisor(cache.path);
    expect(first).toMatch(/supervisor-[0-9a-f]{16}\.mjs$/);
    const manifest = JSON.parse(readFileSync(join(cache.path, 'manifest.json'), 'utf8')) as {
      inputs: Record<string, string>;
    };
    expect(Object.keys(manifest.inputs)).toContain(SUPERVISOR_MAIN);
    expect(bundledSupervisor(cache.path)).toBe(first);
    expect(supervisorNodeArgs({ cacheDir: cache.path })).toEqual([first]);
  });

  it('rebuilds when an input no longer matches what the bundle was built from', () => {
    const manifestPath = join(cache.path, 'manifest.json');
    const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
      inputs: Record<string, string>;
      bundle: string;
    };
    manifest.inputs[SUPERVISOR_MAIN] = 'stale';
    manifest.bundle = join(cache.path, 'gone.mjs');
    writeFileSync(manifestPath, JSON.stringify(manifest));
    expect(bundledSupervisor(cache.path)).toMatch(/supervisor-[0-9a-f]{16}\.mjs$/);
  });

  it('without the bundle, runs the sources under tsx', () => {
    const args = supervisorNodeArgs({ bundle: false });
    expect(args[0]).toBe('--import');
    expect(args.at(-1)).toBe(SUPERVISOR_MAIN);
  });
});
