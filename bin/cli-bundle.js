// Finds the CLI's cached bundle (built by src/cli/cli-bundle.ts) when every
// source it was built from is unchanged. Plain JavaScript: it runs before any
// TypeScript loader, and hashing the ~200 sources costs a few milliseconds
// against the ~0.5 s tsx takes to load them.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the CLI bundle lives: inside the package, so its bare imports resolve from node_modules. */
export const CLI_BUNDLE_DIR = fileURLToPath(new URL('../node_modules/.cache/strato/cli', import.meta.url));

/** The bundle's entry file when it is up to date, else undefined (missing, stale or unreadable). */
export function freshCliBundle(cacheDir = CLI_BUNDLE_DIR) {
  try {
    const manifest = JSON.parse(readFileSync(join(cacheDir, 'manifest.json'), 'utf8'));
    for (const [path, hash] of Object.entries(manifest.inputs)) {
      if (createHash('sha256').update(readFileSync(path)).digest('hex') !== hash) return undefined;
    }
    return manifest.entry;
  } catch {
    return undefined;
  }
}
