/**
 * How Strato starts its own code in a new Node process or worker thread.
 * The entry is always a module of this package, found beside the module
 * that starts it: never a path read from a cache, a manifest, an
 * environment variable or a temp folder another user could write.
 *
 * From the built package (`dist/…/*.js`, what an install runs) the entry is
 * the built sibling; from the repository's sources (tests, benchmarks) it is
 * the `.ts` source, which Node 24 runs as it is: the sources use erasable
 * syntax only (`erasableSyntaxOnly` in tsconfig.json), so Node strips the
 * types itself. No loader, no build step, no cache either way.
 *
 * A new entry point (a detached per-job controller, say) is a module with a
 * top-level `main`, started as the supervisor is (providers/local/supervisor-launch.ts):
 * `spawn(process.execPath, [...nodeArgsFor(packageModule('./controller-main.ts', import.meta.url)), ...args])`.
 */

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** True when Strato runs from its build (`dist/`), false from its `.ts` sources. */
export const RUNS_FROM_BUILD = import.meta.url.endsWith('.js');

/**
 * The file of one of Strato's modules, named as its source relative to the
 * caller: `packageModule('./supervisor-main.ts', import.meta.url)`. From the
 * build that is the built `.js` beside the caller.
 */
export function packageModule(sourceRelative: string, callerUrl: string): string {
  const name = RUNS_FROM_BUILD ? sourceRelative.replace(/\.ts$/, '.js') : sourceRelative;
  return fileURLToPath(new URL(name, callerUrl));
}

/**
 * Node arguments that run `entry` (from `packageModule`) in a new process:
 * `spawn(process.execPath, [...nodeArgsFor(entry), ...args])`. A `.ts`
 * source on a Node without type stripping runs under tsx (slower to start,
 * same behaviour).
 */
export function nodeArgsFor(entry: string): string[] {
  if (!entry.endsWith('.ts') || process.features.typescript) return [entry];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, entry];
}
