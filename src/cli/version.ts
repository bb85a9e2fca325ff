/** Strato's version, and what a bug report needs besides: the Node and platform it runs on. */

import { readFileSync } from 'node:fs';

export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Three lines: `strato X`, `node Y (path)`, `platform OS-ARCH`. */
export function verboseVersion(): string {
  return [
    `strato ${version()}`,
    `node ${process.versions.node} (${process.execPath})`,
    `platform ${process.platform}-${process.arch}`,
  ].join('\n');
}
