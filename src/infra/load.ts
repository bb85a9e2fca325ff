/**
 * Loading a stack: `infra/<stack>.ts` (a module whose default export is a
 * `Stack`, or a function returning one, sync or async), or the YAML form
 * (`kind: Stack`). A file that does not load or throws is one StratoError
 * with its location; bad props are one SpecError with every problem.
 */

import { readdirSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SpecError, StratoError } from '../errors.ts';
import { RUNS_FROM_BUILD } from '../internal/node-entry.ts';
import { defaultExport, loadTypeScript, parseYaml } from '../spec/load.ts';
import { desiredResources, Stack } from './construct.ts';
import type { DesiredResource } from './types.ts';
import { STACK_NAME, STACK_NAME_RULE, stackFromYaml } from './yaml-stack.ts';

export interface LoadedStack {
  stack: Stack;
  /** The stack's name: the `strato-stack` label's value. */
  name: string;
  /** Default project of its resources. */
  project: string;
  resources: DesiredResource[];
  /** The file it came from, as given. */
  source: string;
  /** The file's folder: the default state lives under `<baseDir>/.strato/infra/`. */
  baseDir: string;
}

const MODULE_EXTENSIONS = new Set(['.ts', '.mts', '.js', '.mjs']);
const YAML_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
const STACK_EXTENSIONS = [...MODULE_EXTENSIONS, ...YAML_EXTENSIONS];

/**
 * The definition file a command means: FILE as given; a stack name
 * (`data-bucket` → `infra/data-bucket.ts`); nothing → the one stack in `infra/`.
 */
export function findStackFile(file: string | undefined, cwd: string): string {
  const infraDir = join(cwd, 'infra');
  if (file === undefined) {
    let entries: string[] = [];
    try {
      entries = readdirSync(infraDir).filter((name) => STACK_EXTENSIONS.includes(extname(name)));
    } catch {}
    if (entries.length === 1) return join(infraDir, entries[0]!);
    throw new StratoError(
      'E_USAGE',
      entries.length === 0
        ? 'no stack file given, and no infra/ folder with one'
        : 'which stack? infra/ holds several',
      {
        hint:
          entries.length === 0
            ? 'name the stack file: strato infra plan infra/<stack>.ts'
            : `name one: ${entries.map((name) => `infra/${name}`).join(', ')}`,
      },
    );
  }
  const path = resolve(cwd, file);
  if (exists(path)) return path;
  if (!file.includes('/') && extname(file) === '') {
    for (const extension of STACK_EXTENSIONS) {
      const candidate = join(infraDir, `${file}${extension}`);
      if (exists(candidate)) return candidate;
    }
  }
  throw new StratoError('E_NOT_FOUND', `no stack file ${file}`, {
    hint: 'give the path of a stack (infra/<stack>.ts or .yaml), or its name in infra/',
  });
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** `path:line:column` of the first stack frame inside the file, when the error has one. */
function locationIn(error: unknown, path: string): string | undefined {
  const stack = error instanceof Error ? (error.stack ?? '') : '';
  const url = pathToFileURL(path).href;
  for (const line of stack.split('\n')) {
    const at =
      line.indexOf(url) >= 0
        ? line.indexOf(url) + url.length
        : line.indexOf(path) >= 0
          ? line.indexOf(path) + path.length
          : -1;
    if (at < 0) continue;
    const match = /^:(\d+):(\d+)/.exec(line.slice(at));
    if (match) return `line ${match[1]}, column ${match[2]}`;
  }
  const syntax = /:(\d+):(\d+): ERROR: /.exec(error instanceof Error ? error.message : '');
  return syntax ? `line ${syntax[1]}, column ${syntax[2]}` : undefined;
}

function loadError(error: unknown, path: string, source: string, what: string): StratoError {
  if (error instanceof SpecError) return new SpecError(error.issues, source);
  if (error instanceof StratoError) return error;
  const where = locationIn(error, path);
  const raw =
    error instanceof Error
      ? `${error.name !== 'Error' ? `${error.name}: ` : ''}${error.message}`
      : String(error);
  const message = raw.split('\n')[0]!.replace(/^.*: ERROR: /, '');
  return new StratoError(
    'E_SPEC_INVALID',
    `${source}${where ? ` (${where})` : ''}: ${what}: ${message.slice(0, 300)}`,
    {
      cause: error,
      hint: 'run the file with node (or tsx) to see the whole error; it must `export default` a Stack or a function returning one',
    },
  );
}

function isStack(value: unknown): value is Stack {
  return value instanceof Stack;
}

/** Reads a stack definition and flattens it into the resources the engine plans with. */
export async function loadStackFile(file: string, cwd = process.cwd()): Promise<LoadedStack> {
  const path = findStackFile(file, cwd);
  const source = relative(cwd, path) || basename(path);
  let stack: Stack;
  if (MODULE_EXTENSIONS.has(extname(path))) {
    if (RUNS_FROM_BUILD && (extname(path) === '.ts' || extname(path) === '.mts')) await loadTypeScript();
    let exported: unknown;
    try {
      // A module is loaded once per process (Node's module cache): the CLI loads it once per run.
      exported = defaultExport((await import(pathToFileURL(path).href)) as { default?: unknown });
    } catch (error) {
      throw loadError(error, path, source, 'failed to load');
    }
    if (typeof exported === 'function' && !isStack(exported)) {
      try {
        exported = await (exported as () => unknown)();
      } catch (error) {
        throw loadError(error, path, source, 'the stack function threw');
      }
    }
    if (!isStack(exported)) {
      throw new StratoError('E_SPEC_INVALID', `${source}: the default export is not a Stack`, {
        hint: "write `export default new Stack('name', { project })` (or a function returning one), importing Stack from strato",
      });
    }
    stack = exported;
    if (!STACK_NAME.test(stack.stackName)) {
      throw new SpecError(
        [
          {
            path: 'Stack',
            message: STACK_NAME_RULE,
            received: stack.stackName,
            fix: "e.g. new Stack('data-bucket', …)",
          },
        ],
        source,
      );
    }
  } else {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new StratoError('E_IO', `cannot read ${source}: ${(error as Error).message}`, { cause: error });
    }
    stack = await stackFromYaml(parseYaml(text, source), source);
  }
  return {
    stack,
    name: stack.stackName,
    project: stack.props.project,
    resources: desiredResources(stack),
    source,
    baseDir: dirname(path),
  };
}
