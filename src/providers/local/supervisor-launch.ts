/**
 * How a supervisor process starts. Under `--import tsx` a Node process
 * spends ~0.5 s of CPU on the TypeScript loader before running a line of
 * the supervisor; launch latency is the local provider's main cost (goal:
 * 16 replicas running within 1 s of submit). So the supervisor's few
 * modules are bundled once into one plain `.mjs` with esbuild (the
 * transpiler tsx itself runs on) and cached, keyed by the content of every
 * input; any change to them rebuilds it. Without esbuild, or if bundling
 * fails, the supervisor runs under tsx as before: slower, same behaviour.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { findJson } from '../../jobs/atomic-json.ts';

export const SUPERVISOR_MAIN = fileURLToPath(new URL('./supervisor-main.ts', import.meta.url));

interface Manifest {
  /** Input path → sha256 of its content when the bundle was built. */
  inputs: Record<string, string>;
  bundle: string;
}

interface EsbuildLike {
  buildSync(options: Record<string, unknown>): {
    outputFiles?: { text: string }[];
    metafile?: { inputs: Record<string, unknown> };
  };
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

function defaultCacheDir(): string {
  return join(tmpdir(), `strato-${userInfo().uid}`, 'supervisor');
}

function loadEsbuild(): EsbuildLike | undefined {
  try {
    // esbuild comes with tsx (a dependency); resolve it from there, not from wherever npm hoisted it.
    const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'));
    return fromTsx('esbuild') as EsbuildLike;
  } catch {
    return undefined;
  }
}

function upToDate(manifest: Manifest | undefined): manifest is Manifest {
  if (!manifest) return false;
  try {
    return Object.entries(manifest.inputs).every(([path, hash]) => sha256(path) === hash);
  } catch {
    return false;
  }
}

/** The bundled supervisor, built if needed; undefined when it cannot be built here. */
export function bundledSupervisor(cacheDir: string = defaultCacheDir()): string | undefined {
  const manifestPath = join(cacheDir, 'manifest.json');
  let manifest: Manifest | undefined;
  try {
    manifest = findJson<Manifest>(manifestPath);
  } catch {
    manifest = undefined;
  }
  if (upToDate(manifest)) return manifest.bundle;
  const esbuild = loadEsbuild();
  if (!esbuild) return undefined;
  try {
    const result = esbuild.buildSync({
      entryPoints: [SUPERVISOR_MAIN],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      write: false,
      metafile: true,
      absWorkingDir: join(fileURLToPath(new URL('.', import.meta.url))),
    });
    const text = result.outputFiles?.[0]?.text;
    if (!text || !result.metafile) return undefined;
    const cwd = fileURLToPath(new URL('.', import.meta.url));
    const inputs = Object.fromEntries(
      Object.keys(result.metafile.inputs).map((input) => {
        const path = join(cwd, input);
        return [path, sha256(path)];
      }),
    );
    mkdirSync(cacheDir, { recursive: true });
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const bundle = join(cacheDir, `supervisor-${hash}.mjs`);
    const temp = `${bundle}.tmp-${process.pid}`;
    writeFileSync(temp, text);
    renameSync(temp, bundle);
    const manifestTemp = `${manifestPath}.tmp-${process.pid}`;
    writeFileSync(manifestTemp, JSON.stringify({ inputs, bundle } satisfies Manifest));
    renameSync(manifestTemp, manifestPath);
    return bundle;
  } catch {
    return undefined;
  }
}

/** Node arguments that start a supervisor: the cached bundle, else the sources under tsx. */
export function supervisorNodeArgs(options: { bundle?: boolean; cacheDir?: string } = {}): string[] {
  const bundle = options.bundle === false ? undefined : bundledSupervisor(options.cacheDir);
  if (bundle) return [bundle];
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, SUPERVISOR_MAIN];
}
