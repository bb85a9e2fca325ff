/**
 * Parsing at the edge: YAML, JSON or TS/JS modules → a validated JobSpec, or
 * one SpecError listing every problem. Inside Strato nothing re-validates.
 */

import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseDocument } from 'yaml';
import { SpecError, StratoError } from '../errors.ts';
import { RUNS_FROM_BUILD } from '../internal/node-entry.ts';
import { toSpecIssues } from './issues.ts';
import { checkSpecDepth, checkSpecFile, checkTextDepth } from './limits.ts';
import { type JobSpec, type JobSpecInput, JobSpecSchema } from './schema.ts';

/** Typed identity for TS users: `export default defineJob({...})` gets completion and checks. */
export function defineJob(spec: JobSpecInput): JobSpecInput {
  return spec;
}

/** Validates a spec object (from YAML or code). Throws SpecError with one issue per problem. */
export function parseJobSpec(input: unknown, source?: string): JobSpec {
  if (input === null || input === undefined) {
    throw new SpecError([{ path: '', message: 'is empty', fix: 'start from a file in templates/' }], source);
  }
  checkSpecDepth(input, source);
  const result = JobSpecSchema.safeParse(input, { reportInput: true });
  if (result.success) return result.data;
  throw new SpecError(toSpecIssues(result.error.issues, JobSpecSchema, input), source);
}

/** Parses YAML (or JSON) text; syntax errors come back with line and column. */
export function parseYaml(text: string, source?: string): unknown {
  checkTextDepth(text, source);
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new SpecError(
      // Later YAML errors are mostly echoes of the first; one precise line beats several vague ones.
      doc.errors.slice(0, 1).map((error) => {
        const pos = error.linePos?.[0];
        const where = pos ? ` at line ${pos.line}, column ${pos.col}` : '';
        if (error.code === 'MULTIPLE_DOCS') {
          return {
            path: '',
            message: `holds more than one YAML document (a second one starts${where})`,
            fix: 'one spec per file: remove the `---` line and what follows, or split it into two files',
          };
        }
        if (error.code === 'RESOURCE_EXHAUSTION') {
          return {
            path: '',
            message: `is nested too deeply to read${where}`,
            fix: 'a spec is a few levels deep; start from a file in templates/',
          };
        }
        return {
          path: '',
          message: `YAML syntax error${where}: ${error.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '')}`,
          fix: 'fix the YAML syntax',
        };
      }),
      source,
    );
  }
  try {
    // yaml's default limit of 100 alias expansions refuses an alias bomb (ReferenceError).
    return doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new SpecError(
      [
        {
          path: '',
          message: `cannot be expanded: ${(error as Error).message}`,
          fix: 'use fewer YAML aliases (*name): each may be expanded at most 100 times in all',
        },
      ],
      source,
    );
  }
}

/**
 * A spec module that failed to import (it threw, has a syntax error, or
 * imports something missing) is the user's input being wrong: one line
 * saying so, without the loader's stack or its cache paths.
 */
function moduleLoadError(error: unknown, file: string): SpecError {
  const raw = error instanceof Error ? error.message : String(error);
  // A loader's syntax error lists "<path>:<line>:<col>: ERROR: <what>"; keep the position and what.
  const located = /:(\d+):(\d+): ERROR: (.*)/.exec(raw);
  const what = located
    ? `syntax error at line ${located[1]}, column ${located[2]}: ${located[3]}`
    : `${error instanceof Error && error.name !== 'Error' ? `${error.name}: ` : ''}${raw.split('\n')[0]}`;
  return new SpecError(
    [
      {
        path: '',
        message: `failed to load: ${what.length > 300 ? `${what.slice(0, 297)}...` : what}`,
        fix: 'run the module with node (or tsx) to see the full error; it must `export default` the spec',
      },
    ],
    file,
  );
}

/** A spec read from a file, with the folder its relative paths resolve against. */
export interface LoadedSpec {
  spec: JobSpec;
  /** The file it came from. */
  source: string;
  /** The file's folder: relative paths in the spec resolve against it. */
  baseDir: string;
}

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);
const TYPESCRIPT_EXTENSIONS = new Set(['.ts', '.mts']);

let typescriptLoader: Promise<void> | undefined;

/**
 * From the package's build, a `.ts` spec needs tsx registered first (a
 * failed import would be cached); from the sources, whatever runs them
 * (vitest, tsx) loads TypeScript already. tsx rather than Node's own type
 * stripping: specs may use any TypeScript, and Node strips none under
 * node_modules. Both hooks: outside a `"type": "module"` package a `.ts`
 * file is CommonJS, which only tsx's require hook compiles.
 */
export function loadTypeScript(): Promise<void> {
  // tsx caches compiled files in `<tmpdir>/tsx-<uid>`, a folder it does not check the owner of: code
  // another user planted there would run as ours. Strato executes only its install and the user's files.
  process.env.TSX_DISABLE_CACHE = '1';
  typescriptLoader ??= Promise.all([import('tsx/esm/api'), import('tsx/cjs/api')]).then(([esm, cjs]) => {
    esm.register();
    cjs.register();
  });
  return typescriptLoader;
}

/** The spec a module exports by default; a CommonJS-compiled one nests it as `exports.default`. */
export function defaultExport(module: { default?: unknown }): unknown {
  const exported = module.default as { __esModule?: boolean; default?: unknown } | undefined;
  return exported?.__esModule && 'default' in exported ? exported.default : exported;
}

/** Reads a job spec file: `.yaml`/`.yml`/`.json`, or a module whose default export is the spec. */
export async function loadJobSpecFile(file: string): Promise<LoadedSpec> {
  const path = resolve(file);
  const baseDir = dirname(path);
  checkSpecFile(path, file);
  if (MODULE_EXTENSIONS.has(extname(path))) {
    if (RUNS_FROM_BUILD && TYPESCRIPT_EXTENSIONS.has(extname(path))) await loadTypeScript();
    let module: { default?: unknown };
    try {
      module = (await import(pathToFileURL(path).href)) as { default?: unknown };
    } catch (error) {
      throw moduleLoadError(error, file);
    }
    return { spec: parseJobSpec(defaultExport(module), file), source: file, baseDir };
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new StratoError(
      code === 'ENOENT' ? 'E_NOT_FOUND' : 'E_IO',
      `cannot read ${file}: ${code ?? String(error)}`,
      {
        cause: error,
        hint: code === 'ENOENT' ? 'check the path; templates/ has ready specs' : undefined,
      },
    );
  }
  return { spec: parseJobSpec(parseYaml(text, file), file), source: file, baseDir };
}
