/** Job ids: `<job name>-<6 random base-36 characters>`, e.g. `quickstart-k3x9qa`. */

import { randomBytes } from 'node:crypto';

const SUFFIX_LENGTH = 6;
const ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export function newJobId(name: string, random: (size: number) => Uint8Array = randomBytes): string {
  const bytes = random(SUFFIX_LENGTH);
  let suffix = '';
  for (const byte of bytes) suffix += ALPHABET[byte % ALPHABET.length];
  return `${name}-${suffix}`;
}

/** Ids are names plus a suffix: lower-case letters, digits and dashes only (no path tricks). */
export function isWellFormedJobId(id: string): boolean {
  return /^[a-z][-a-z0-9]*$/.test(id) && id.length <= 64;
}
