/**
 * Include/exclude globs over paths relative to the source root (with `/`).
 * A pattern with a `/` matches the whole relative path; one without matches
 * the file name at any depth (as in .gitignore). `*` and `?` stay within one
 * path segment, `**` crosses segments, `[abc]` is a character class.
 * A file is kept when it matches an include (or there are none) and no exclude.
 */

import { StratoError } from '../../errors.ts';

export type PathFilter = ((relativePath: string) => boolean) & {
  /**
   * Whether an exclude names this path (a symlink or folder) or everything
   * under it: such a path is not even looked at, so `--exclude LINK` works
   * on a symlink that leads out of the tree (the fix its error suggests).
   */
  excludes?: (relativePath: string) => boolean;
};

export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') {
      if (pattern[i + 1] === '*') {
        // "**/" matches zero or more whole segments; a trailing "**" matches the rest.
        if (pattern[i + 2] === '/') {
          source += '(?:[^/]*/)*';
          i += 2;
        } else {
          source += '.*';
          i += 1;
        }
      } else {
        source += '[^/]*';
      }
    } else if (c === '?') {
      source += '[^/]';
    } else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close === -1) throw new StratoError('E_USAGE', `glob "${pattern}" has an unclosed "["`);
      const body = pattern
        .slice(i + 1, close)
        .replace(/^!/, '^')
        .replace(/\\/g, '\\\\');
      source += `[${body}]`;
      i = close;
    } else {
      source += c.replace(/[.+^${}()|\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}

function matcher(pattern: string): PathFilter {
  const anchored = pattern.includes('/');
  const regexp = globToRegExp(pattern.replace(/^\/+/, ''));
  return anchored
    ? (path) => regexp.test(path)
    : (path) => regexp.test(path.slice(path.lastIndexOf('/') + 1));
}

export function createPathFilter(options: {
  include?: readonly string[];
  exclude?: readonly string[];
}): PathFilter {
  const includes = (options.include ?? []).map(matcher);
  const excludes = (options.exclude ?? []).map(matcher);
  if (includes.length === 0 && excludes.length === 0) return () => true;
  const filter: PathFilter = (path) =>
    (includes.length === 0 || includes.some((m) => m(path))) && !excludes.some((m) => m(path));
  // `dir/**` names what is under dir: it matches "dir/" too.
  filter.excludes = (path) => excludes.some((m) => m(path) || m(`${path}/`));
  return filter;
}
