/**
 * The `matchGlob` parameter of objects.list, as a RegExp over whole object
 * names (https://cloud.google.com/storage/docs/json_api/v1/objects/list#list-objects-and-prefixes-using-glob):
 *   `*`        any characters within one level (never `/`)
 *   `**`       any characters across levels; followed by `/` it is any number of whole
 *              levels, none included (as shells' globstar: `a`, `**`, `/b` matches `a/b`)
 *   `?`        one character (not `/`)
 *   `[abc]`    one of the characters, ranges (`[a-c]`) and negation (`[!a]`, `[^a]`) too
 *   `{a,b}`    one of the alternatives, each itself a glob
 *   `\x`       the character `x` itself
 * A malformed glob (an unclosed `[` or `{`) is the service's 400.
 */

import { badRequest } from './errors.ts';

/** The RegExp a glob means, anchored at both ends. */
export function globToRegExp(glob: string): RegExp {
  const parser = { glob, at: 0 };
  const source = parseSequence(parser, false);
  return new RegExp(`^${source}$`, 's');
}

interface Parser {
  readonly glob: string;
  at: number;
}

/** Up to the end of the glob, or (inside braces) up to the `,` or `}` that ends an alternative. */
function parseSequence(p: Parser, inBraces: boolean): string {
  let out = '';
  while (p.at < p.glob.length) {
    const c = p.glob[p.at]!;
    if (inBraces && (c === ',' || c === '}')) return out;
    p.at++;
    if (c === '\\') {
      if (p.at >= p.glob.length) throw invalid(p.glob, 'it ends with an escape character');
      out += escapeRegExp(p.glob[p.at++]!);
    } else if (c === '*') {
      if (p.glob[p.at] === '*') {
        p.at++;
        if (p.glob[p.at] === '/') {
          p.at++;
          out += '(?:.*/)?';
        } else out += '.*';
      } else out += '[^/]*';
    } else if (c === '?') {
      out += '[^/]';
    } else if (c === '[') {
      out += parseClass(p);
    } else if (c === '{') {
      out += parseAlternatives(p);
    } else {
      out += escapeRegExp(c);
    }
  }
  if (inBraces) throw invalid(p.glob, 'a `{` is never closed');
  return out;
}

function parseAlternatives(p: Parser): string {
  const options: string[] = [];
  for (;;) {
    options.push(parseSequence(p, true));
    const end = p.glob[p.at++];
    if (end === '}') return `(?:${options.join('|')})`;
  }
}

function parseClass(p: Parser): string {
  const start = p.at - 1;
  let negated = false;
  if (p.glob[p.at] === '!' || p.glob[p.at] === '^') {
    negated = true;
    p.at++;
  }
  let body = '';
  let first = true;
  while (p.at < p.glob.length) {
    const c = p.glob[p.at++]!;
    // A `]` right after `[` (or `[!`) is a member, as in shell globs.
    if (c === ']' && !first) return `[${negated ? '^' : ''}${body}]`;
    first = false;
    if (c === '\\' && p.at < p.glob.length) body += escapeClassChar(p.glob[p.at++]!);
    else if (c === '-' && body !== '' && p.glob[p.at] !== ']') body += '-';
    else body += escapeClassChar(c);
  }
  throw invalid(p.glob, `the \`[\` at ${start} is never closed`);
}

function escapeRegExp(c: string): string {
  return /[\\^$.*+?()[\]{}|/-]/.test(c) ? `\\${c}` : c;
}

function escapeClassChar(c: string): string {
  return /[\\^\]\-[]/.test(c) ? `\\${c}` : c;
}

function invalid(glob: string, why: string) {
  return badRequest(`Invalid matchGlob ${JSON.stringify(glob)}: ${why}.`);
}
