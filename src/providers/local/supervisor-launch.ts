/**
 * How a supervisor process starts. Under `--import tsx` a Node process
 * spends ~0.5 s of CPU on the TypeScript loader before running a line of
 * the supervisor; launch latency is the local provider's main cost (goal:
 * 16 replicas running within 1 s of submit). So the supervisor runs from a
 * cached esbuild bundle of its few modules (`src/module-bundle.ts`); without
 * one, it runs under tsx as before: slower, same behaviour.
 */

import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundledModule } from '../../module-bundle.ts';

export const SUPERVISOR_MAIN = fileURLToPath(new URL('./supervisor-main.ts', import.meta.url));

/** The bundled supervisor, built if needed; undefined when it cannot be built here. */
export function bundledSupervisor(cacheDir?: string): string | undefined {
  return bundledModule({ entry: SUPERVISOR_MAIN, name: 'supervisor', cacheDir });
}

/** Node arguments that start a supervisor: the cached bundle, else the sources under tsx. */
export function supervisorNodeArgs(options: { bundle?: boolean; cacheDir?: string } = {}): string[] {
  const bundle = options.bundle === false ? undefined : bundledSupervisor(options.cacheDir);
  if (bundle) return [bundle];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, SUPERVISOR_MAIN];
}
