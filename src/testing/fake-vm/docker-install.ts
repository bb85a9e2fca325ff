/**
 * Puts the fake VMs' `docker` (the test double of `docker-shim.ts`) in a
 * folder that goes first on every fake VM's PATH: a two-line launcher that
 * runs the shim with this Node, and the image table it reads.
 */

import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { nodeArgsFor, packageModule } from '../../internal/node-entry.ts';
import type { ImageCommands } from '../image-commands.ts';

/** Where the shim finds the image table (a JSON file of image → command). */
export const IMAGES_ENV = 'STRATO_FAKE_DOCKER_IMAGES';

function shellQuote(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** Writes `<dir>/bin/docker` and `<dir>/images.json`; returns the bin folder and the shim's environment. */
export function installDockerShim(
  dir: string,
  images: ImageCommands,
): { bin: string; env: Record<string, string> } {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const table = join(dir, 'images.json');
  writeFileSync(table, JSON.stringify(images, null, 2));
  const shim = packageModule('./docker-shim.ts', import.meta.url);
  const command = [process.execPath, ...nodeArgsFor(shim)].map(shellQuote).join(' ');
  const launcher = join(bin, 'docker');
  writeFileSync(
    launcher,
    `#!/bin/sh\n# TEST DOUBLE of docker for Strato's fake VMs (src/testing/fake-vm/docker-shim.ts).\nexec ${command} "$@"\n`,
  );
  chmodSync(launcher, 0o755);
  return { bin, env: { [IMAGES_ENV]: table } };
}
