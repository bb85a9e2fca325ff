/**
 * What a spec file may be before Strato reads it, so a hostile or mistaken
 * input is a clear error (exit 2), never a crash or gigabytes of memory: a
 * real spec is a few kilobytes and a few levels deep (a 50 MB spec took
 * 17 s and 2.1 GB to refuse; 1,000 levels of nesting overflowed the stack).
 */

import { statSync } from 'node:fs';
import { SpecError, StratoError } from '../errors.ts';

/** 1 MiB: hundreds of times the largest template, far below what costs seconds to parse. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** Deeper than any field of the schema (about 6 levels) with room for env maps and args. */
export const MAX_SPEC_DEPTH = 64;

/** Refuses a path that is missing, not a regular file, or larger than MAX_SPEC_BYTES. */
export function checkSpecFile(path: string, shownAs: string): void {
  let stats: ReturnType<typeof statSync>;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new StratoError('E_NOT_FOUND', `cannot read ${shownAs}: no such file (ENOENT)`, {
        cause: error,
        hint: 'check the path; templates/ has ready specs',
      });
    }
    throw new StratoError('E_IO', `cannot read ${shownAs}: ${code ?? String(error)}`, {
      cause: error,
      hint: code === 'EACCES' ? 'check the permissions of the file and its folders' : undefined,
    });
  }
  if (stats.isDirectory()) {
    throw new SpecError(
      [
        {
          path: '',
          message: 'is a folder, not a spec file',
          fix: 'name the spec file itself, e.g. DIR/job.yaml',
        },
      ],
      shownAs,
    );
  }
  if (!stats.isFile()) {
    throw new SpecError(
      [{ path: '', message: 'is not a regular file', fix: 'name a .yaml, .json or .ts spec file' }],
      shownAs,
    );
  }
  if (stats.size > MAX_SPEC_BYTES) {
    throw new SpecError(
      [
        {
          path: '',
          message: `is ${(stats.size / 1024 / 1024).toFixed(1)} MiB; a spec file is at most ${MAX_SPEC_BYTES / 1024 / 1024} MiB`,
          fix: 'keep data out of the spec: point `data` at a folder or bucket instead',
        },
      ],
      shownAs,
    );
  }
}

/** Refuses a value nested deeper than MAX_SPEC_DEPTH (checked without recursion). */
export function checkSpecDepth(value: unknown, source?: string): void {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > MAX_SPEC_DEPTH) throw tooDeep(source);
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
}

function tooDeep(source: string | undefined): SpecError {
  return new SpecError(
    [
      {
        path: '',
        message: `is nested more than ${MAX_SPEC_DEPTH} levels deep`,
        fix: 'a spec is a few levels deep; start from a file in templates/',
      },
    ],
    source,
  );
}

/**
 * Refuses YAML or JSON text whose flow collections (`[…]`, `{…}`) open more
 * than MAX_SPEC_DEPTH deep, before any parser sees it: the parser recurses
 * per level, and whether 1,000 levels overflow its stack depends on how much
 * stack is left at that moment (its error then reads "Maximum call stack
 * size exceeded" as a syntax error). Brackets inside quotes and comments do
 * not count.
 */
export function checkTextDepth(text: string, source?: string): void {
  let depth = 0;
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (quote === '"' && c === '\\') i++;
      else if (c === quote) quote = undefined;
    } else if (c === '"' || c === "'") {
      quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      const end = text.indexOf('\n', i);
      if (end === -1) return;
      i = end;
    } else if (c === '[' || c === '{') {
      if (++depth > MAX_SPEC_DEPTH) throw tooDeep(source);
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
}
