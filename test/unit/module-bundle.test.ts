import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundledModule } from '../../src/module-bundle.ts';
import { tempDir } from '../support/local.ts';

const work = tempDir('strato-module-bundle-');
afterAll(() => work.remove());

/** A tiny package: an entry that imports a sibling module, which reads a data file beside itself. */
function writeSources(greeting: string): string {
  const src = join(work.path, 'src');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'greeting.txt'), greeting);
  writeFileSync(
    join(src, 'read-greeting.ts'),
    "import { readFileSync } from 'node:fs';\nexport const greeting = (): string => readFileSync(new URL('./greeting.txt', import.meta.url), 'utf8');\n",
  );
  writeFileSync(
    join(src, 'main.ts'),
    "import { greeting } from './read-greeting.ts';\nconsole.log(greeting());\n",
  );
  return join(src, 'main.ts');
}

const run = (bundle: string) =>
  execFileSync(process.execPath, [bundle], { encoding: 'utf8', stdio: 'pipe' }).trim();

describe('bundledModule', () => {
  it('bundles an entry with its imports into one .mjs that runs from the cache, and reuses it', () => {
    const entry = writeSources('hello');
    const cacheDir = join(work.path, 'cache-a');
    const bundle = bundledModule({ entry, name: 'greeter', cacheDir, entryImportMetaUrl: true });
    expect(bundle).toMatch(/greeter-[0-9a-f]{16}\.mjs$/);
    expect(bundle!.startsWith(cacheDir)).toBe(true);
    // The bundle lives in the cache, yet finds the data file beside the sources.
    expect(run(bundle!)).toBe('hello');
    expect(bundledModule({ entry, name: 'greeter', cacheDir, entryImportMetaUrl: true })).toBe(bundle);
  });

  it('rebuilds when an input changes, and when the options do', () => {
    const entry = writeSources('hello');
    const cacheDir = join(work.path, 'cache-b');
    const first = bundledModule({ entry, name: 'greeter', cacheDir, entryImportMetaUrl: true });
    writeFileSync(
      entry,
      "import { greeting } from './read-greeting.ts';\nconsole.log(greeting().toUpperCase());\n",
    );
    const second = bundledModule({ entry, name: 'greeter', cacheDir, entryImportMetaUrl: true });
    expect(second).not.toBe(first);
    expect(run(second!)).toBe('HELLO');
    const third = bundledModule({ entry, name: 'greeter', cacheDir });
    expect(third).not.toBe(second);
    // Without the entry's import.meta.url, the module looks beside the bundle, where nothing is.
    expect(() => run(third!)).toThrow(/greeting\.txt/);
  });
});
