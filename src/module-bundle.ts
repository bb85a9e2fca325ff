/**
 * One TypeScript entry module and everything it imports from this package,
 * bundled into a single plain `.mjs` with esbuild (the transpiler tsx itself
 * runs on) and cached, keyed by the content of every input: any change to
 * them rebuilds it. For code that starts in a fresh process or thread, where
 * loading the sources through tsx costs ~0.5 s of CPU before the first line
 * runs (the local supervisor, the metrics decode workers). Callers fall back
 * to the sources under tsx, or to not using a thread, when it cannot be
 * built here.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findJson } from './internal/atomic-json.ts';

interface Manifest {
  /** Input path → sha256 of its content when the bundle was built. */
  inputs: Record<string, string>;
  /** The esbuild options it was built with. */
  settings: string;
  bundle: string;
}

interface BuildResult {
  outputFiles?: { path: string; text: string }[];
  metafile?: { inputs: Record<string, unknown> };
}

export interface EsbuildLike {
  buildSync(options: Record<string, unknown>): BuildResult;
  build(options: Record<string, unknown>): Promise<BuildResult>;
  transform(code: string, options: Record<string, unknown>): Promise<{ code: string }>;
}

export interface BundleOptions {
  /** Absolute path of the entry module. */
  entry: string;
  /** Names the bundle file and its cache folder, e.g. `supervisor`. */
  name: string;
  /** Default: `<tmpdir>/strato-<uid>/<name>`. */
  cacheDir?: string;
  /**
   * Gives every bundled module the entry's `import.meta.url`, for modules
   * that find files beside themselves (`new URL('./x', import.meta.url)`).
   * Only right when all such modules live in the entry's folder.
   */
  entryImportMetaUrl?: boolean;
  /**
   * Bundles the npm packages it imports too. The cache lies outside the
   * package, where a bare `import 'x'` does not resolve; leave this off only
   * for code that imports nothing but Node's own modules.
   */
  bundlePackages?: boolean;
}

export const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

export function loadEsbuild(): EsbuildLike | undefined {
  try {
    // esbuild comes with tsx (a dependency); resolve it from there, not from wherever npm hoisted it.
    const fromTsx = createRequire(createRequire(import.meta.url).resolve('tsx'));
    return fromTsx('esbuild') as EsbuildLike;
  } catch {
    return undefined;
  }
}

function upToDate(manifest: Manifest | undefined, settings: string): manifest is Manifest {
  if (manifest?.settings !== settings) return false;
  try {
    return Object.entries(manifest.inputs).every(([path, hash]) => sha256(path) === hash);
  } catch {
    return false;
  }
}

/** Writes `text` to `path` so that no reader ever sees it half-written. */
export function writeAtomic(path: string, text: string): void {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, text);
  renameSync(temp, path);
}

/** The bundle's path, built if needed; undefined when it cannot be built here. */
export function bundledModule(options: BundleOptions): string | undefined {
  const cacheDir = options.cacheDir ?? join(tmpdir(), `strato-${userInfo().uid}`, options.name);
  const manifestPath = join(cacheDir, 'manifest.json');
  let manifest: Manifest | undefined;
  try {
    manifest = findJson<Manifest>(manifestPath);
  } catch {
    manifest = undefined;
  }
  const entryDir = dirname(options.entry);
  const buildOptions = {
    entryPoints: [options.entry],
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: options.bundlePackages ? 'bundle' : 'external',
    write: false,
    metafile: true,
    absWorkingDir: entryDir,
    define: options.entryImportMetaUrl
      ? { 'import.meta.url': JSON.stringify(pathToFileURL(options.entry).href) }
      : {},
  };
  const settings = JSON.stringify(buildOptions);
  if (upToDate(manifest, settings)) return manifest.bundle;
  const esbuild = loadEsbuild();
  if (!esbuild) return undefined;
  try {
    const result = esbuild.buildSync(buildOptions);
    const text = result.outputFiles?.[0]?.text;
    if (!text || !result.metafile) return undefined;
    const inputs = Object.fromEntries(
      Object.keys(result.metafile.inputs).map((input) => {
        const path = join(entryDir, input);
        return [path, sha256(path)];
      }),
    );
    mkdirSync(cacheDir, { recursive: true });
    const hash = createHash('sha256').update(text).digest('hex').slice(0, 16);
    const bundle = join(cacheDir, `${options.name}-${hash}.mjs`);
    writeAtomic(bundle, text);
    writeAtomic(manifestPath, JSON.stringify({ inputs, settings, bundle } satisfies Manifest));
    return bundle;
  } catch {
    return undefined;
  }
}
