// Finds the CLI's cached bundle (built by src/cli/cli-bundle.ts) when every
// source it was built from is unchanged. Plain JavaScript: it runs before any
// TypeScript loader. A source with the size and mtime it had at the build is
// taken as unchanged (a stat, ~1 ms for all ~160); any other is hashed, so a
// touched but identical file still counts as unchanged.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the CLI bundle lives: inside the package, so its bare imports resolve from node_modules. */
export const CLI_BUNDLE_DIR = fileURLToPath(new URL('../node_modules/.cache/strato/cli', import.meta.url));

/** The bundle's entry file when it is up to date, else undefined (missing, stale or unreadable). */
export function freshCliBundle(cacheDir = CLI_BUNDLE_DIR) {
  try {
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8'));
    for (const [path, input] of Object.entries(manifest.inputs)) {
      const now = statSync(path);
      if (now.size === input.size && now.mtimeMs === input.mtimeMs) continue;
      if (createHash('sha256').update(readFileSync(path)).digest('hex') !== input.sha256) return undefined;
    }
    return manifest.entry;
  } catch {
    return undefined;
  }
}
