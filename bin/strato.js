#!/usr/bin/env node
// Runs the CLI from its cached build (src/cli/cli-bundle.ts) when that is up
// to date, else builds it first; where it cannot be built, runs the
// TypeScript sources through tsx. Either way a fresh clone needs `npm ci` and
// nothing else: no build step, no stale build output.
import { pathToFileURL } from 'node:url';
import { freshCliBundle } from './cli-bundle.js';

// `strato … | head` closes the pipe early: that is the reader's choice, not an error to print.
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

async function loadMain() {
  const fresh = freshCliBundle();
  if (fresh) return import(pathToFileURL(fresh).href);
  // Both hooks, as `tsx` itself registers them: a `.ts` job spec outside a
  // `"type": "module"` package is CommonJS.
  const [esm, cjs] = await Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]);
  esm.register();
  cjs.register();
  const { buildCliBundle } = await import('../src/cli/cli-bundle.ts');
  const built = await buildCliBundle();
  return import(built ? pathToFileURL(built).href : '../src/cli/main.ts');
}

const { main } = await loadMain();
process.exitCode = await main(process.argv.slice(2));
