/**
 * Layer order of `src/`, lowest first. A file may import from its own layer
 * and from any layer below it, never from one above:
 *
 *   internal (and src/errors.ts)   helpers that know nothing of jobs, clouds or strategies
 *   spec                           what the user asked for (zod schema, rules)
 *   strategies                     spec → cluster plan, pure
 *   storage                        object stores and data sync
 *   metrics                        TensorBoard event files read from an object store
 *   agent                          the machines' control-plane contract (metadata in, bucket objects
 *                                  out) and the startup script that honours it: below infra, whose
 *                                  constructs put the script on standing machines, and providers
 *   infra                          stacks of cloud resources: constructs, state, plan, deploy, drivers
 *   providers                      run a cluster plan; report facts
 *   jobs                           the lifecycle: stage data, submit, store, watch
 *   testing                        fake clouds, which run their jobs through the local provider
 *   cli                            commands and terminal rendering
 *   src/index.ts                   the SDK's public surface, on top
 *
 * Why this order: each layer is a plain function of the ones below, so a
 * new provider or store slots in without touching what sits under it, and a
 * lower layer can be tested (and loaded) without the upper ones. The test
 * parses every static `import`/`export … from` and dynamic `import('…')` in
 * `src/**` and fails on any edge upwards; there is no allow-list.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');
const SRC = join(ROOT, 'src');

const LAYERS = [
  'internal',
  'spec',
  'strategies',
  'storage',
  'metrics',
  'agent',
  'infra',
  'providers',
  'jobs',
  'testing',
  'cli',
  'index',
];

/** The layer of a path relative to the repository root, or undefined outside `src/`. */
function layerOf(file: string): string | undefined {
  const rel = relative(SRC, file).split(sep);
  if (rel[0] === '..') return undefined;
  // A file directly in src/ is a helper with the internal layer (errors.ts),
  // except index.ts, which re-exports the SDK and so sits on top.
  if (rel.length === 1) return rel[0] === 'index.ts' ? 'index' : 'internal';
  return rel[0];
}

function rankOf(layer: string): number {
  return LAYERS.indexOf(layer);
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

/** Every module specifier of static imports, re-exports and dynamic imports. */
function importSpecifiers(text: string): string[] {
  const found: string[] = [];
  const patterns = [
    /^\s*import\s+(?:type\s+)?[^'";]*?\s+from\s+['"]([^'"]+)['"]/gm,
    /^\s*import\s+['"]([^'"]+)['"]/gm,
    /^\s*export\s+(?:type\s+)?(?:\*(?:\s+as\s+\w+)?|\{[^}]*\})\s+from\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of text.matchAll(pattern)) found.push(match[1] as string);
  }
  return found;
}

interface Edge {
  from: string;
  to: string;
}

function upwardEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const fromLayer = layerOf(file) as string;
    for (const specifier of importSpecifiers(readFileSync(file, 'utf8'))) {
      if (!specifier.startsWith('.')) continue;
      const target = resolve(dirname(file), specifier);
      const toLayer = layerOf(target);
      const from = relative(ROOT, file);
      const to = relative(ROOT, target);
      if (toLayer === undefined || rankOf(fromLayer) < 0 || rankOf(toLayer) < 0) {
        edges.push({ from, to: `${to} (outside the layers)` });
      } else if (rankOf(toLayer) > rankOf(fromLayer)) {
        edges.push({ from, to });
      }
    }
  }
  return edges;
}

describe('layers of src/', () => {
  it('finds the imports a module can write', () => {
    const text = [
      "import { a } from './a.ts';",
      "import type { B } from '../b.ts';",
      "import './side-effect.ts';",
      "export * from './c.ts';",
      "export { d } from './d.ts';",
      "export type { E } from './e.ts';",
      "const f = await import('./f.ts');",
      'import {',
      '  g,',
      "} from './g.ts';",
    ].join('\n');
    expect(importSpecifiers(text).sort()).toEqual(
      ['./a.ts', '../b.ts', './side-effect.ts', './c.ts', './d.ts', './e.ts', './f.ts', './g.ts'].sort(),
    );
  });

  it('places every file of src/ in a layer', () => {
    const unplaced = sourceFiles(SRC).filter((file) => rankOf(layerOf(file) as string) < 0);
    expect(unplaced.map((file) => relative(ROOT, file))).toEqual([]);
  });

  it('has no import from a lower layer to a higher one', () => {
    expect(upwardEdges()).toEqual([]);
  });
});
