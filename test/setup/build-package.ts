/**
 * vitest global set-up: builds the package (dist/) before any test runs, so
 * tests that start `bin/strato.js` run the code under test, not an older
 * build. About 3 s with TypeScript 7.
 */

import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export default function buildPackage(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync('npm', ['run', '-s', 'build'], { cwd: root, stdio: 'inherit' });
}
