/**
 * The CLI as one cached esbuild build of its own sources, split at every
 * dynamic import: each command is its own chunk, so `strato data push` loads
 * the storage code and none of Vertex AI, gRPC, YAML or zod. Under tsx the
 * CLI spends ~0.5 s of CPU loading TypeScript before it does anything; from
 * this build a no-change re-sync of 10,000 files takes half the time.
 *
 * bin/strato.js runs the build when every source it came from is unchanged
 * (bin/cli-bundle.js checks), and builds it here otherwise; where it cannot
 * be built (no esbuild, a read-only install) the CLI runs from the sources
 * under tsx as before. npm packages stay outside the build and resolve from
 * node_modules, which is why it lives inside the package.
 */

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { CLI_BUNDLE_DIR } from '../../bin/cli-bundle.js';
import { type EsbuildLike, loadEsbuild, sha256, writeAtomic } from '../module-bundle.ts';

const CLI_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
/** Sources that shape the build without being part of it. */
const BUILD_INPUTS = [
  fileURLToPath(import.meta.url),
  fileURLToPath(new URL('../module-bundle.ts', import.meta.url)),
];
/** Older builds are removed this long after they were made: a process started from one may still load its chunks. */
const KEEP_OLD_BUILDS_MS = 7 * 24 * 3600 * 1000;

/**
 * Gives each module its own source file's `import.meta.url`, so code that
 * finds files beside itself (`new URL('./x.proto', import.meta.url)`) finds
 * them beside the sources, not beside the chunk it ended up in.
 */
function sourceImportMetaUrl(esbuild: EsbuildLike) {
  return {
    name: 'source-import-meta-url',
    setup(build: {
      onLoad(
        options: { filter: RegExp },
        callback: (args: { path: string }) => Promise<{ contents: string; loader: string }>,
      ): void;
    }) {
      build.onLoad({ filter: /\.[cm]?ts$/ }, async ({ path }) => {
        const { code } = await esbuild.transform(readFileSync(path, 'utf8'), {
          loader: 'ts',
          format: 'esm',
          sourcefile: path,
          define: { 'import.meta.url': JSON.stringify(pathToFileURL(path).href) },
        });
        return { contents: code, loader: 'js' };
      });
    },
  };
}

/** Builds the CLI into `cacheDir` and returns its entry file; undefined when it cannot be built here. */
export async function buildCliBundle(cacheDir = CLI_BUNDLE_DIR): Promise<string | undefined> {
  const esbuild = loadEsbuild();
  if (!esbuild) return undefined;
  const workDir = dirname(CLI_MAIN);
  try {
    const result = await esbuild.build({
      entryPoints: [CLI_MAIN],
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      // Read by spec/load.ts: no TypeScript loader runs here unless it registers one.
      define: { STRATO_CLI_BUNDLE: 'true' },
      outdir: join(cacheDir, 'out'),
      entryNames: 'main',
      outExtension: { '.js': '.mjs' },
      chunkNames: 'chunk-[hash]',
      write: false,
      metafile: true,
      absWorkingDir: workDir,
      plugins: [sourceImportMetaUrl(esbuild)],
    });
    if (!result.outputFiles?.length || !result.metafile) return undefined;
    const outputs = result.outputFiles;
    const buildHash = createHash('sha256');
    for (const file of outputs) buildHash.update(file.path).update(file.text);
    // Each build in its own folder: a process still running an older one keeps its chunks.
    const buildDir = join(cacheDir, `build-${buildHash.digest('hex').slice(0, 16)}`);
    mkdirSync(buildDir, { recursive: true });
    for (const file of outputs)
      writeAtomic(join(buildDir, relative(join(cacheDir, 'out'), file.path)), file.text);
    // Stat before hashing: a file changed in between then fails the size/mtime check and is hashed again.
    const inputs = Object.fromEntries(
      [...Object.keys(result.metafile.inputs).map((input) => join(workDir, input)), ...BUILD_INPUTS].map(
        (path) => {
          const { size, mtimeMs } = statSync(path);
          return [path, { size, mtimeMs, sha256: sha256(path) }];
        },
      ),
    );
    const entry = join(buildDir, 'main.mjs');
    writeAtomic(join(cacheDir, 'manifest.json'), JSON.stringify({ inputs, entry }));
    removeOldBuilds(cacheDir, buildDir);
    return entry;
  } catch {
    return undefined;
  }
}

function removeOldBuilds(cacheDir: string, current: string): void {
  for (const name of readdirSync(cacheDir)) {
    const path = join(cacheDir, name);
    if (!name.startsWith('build-') || path === current) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > KEEP_OLD_BUILDS_MS)
        rmSync(path, { recursive: true, force: true });
    } catch {
      // another process removed it first
    }
  }
}
