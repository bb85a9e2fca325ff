/**
 * The startup script every `gce` / `tpu-vm` VM runs: clean under shellcheck
 * (bash, down to style notes), and in step with the contract in layout.ts — it
 * reads every metadata key the provider sets and sets only the states the
 * provider knows. What it does on a VM is tested by booting fake VMs
 * (test/integration/fake-vm-*.test.ts).
 */

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { GUEST_STATES, METADATA_KEYS } from '../../../src/agent/layout.ts';
import { requireTool } from '../../support/tools.ts';

const shellcheck = requireTool('shellcheck');
const SCRIPT = fileURLToPath(new URL('../../../src/agent/startup-script.sh', import.meta.url));
const text = readFileSync(SCRIPT, 'utf8');

describe('startup-script.sh', () => {
  it('is clean under shellcheck (its default checks, down to style)', async () => {
    const { stdout } = await promisify(execFile)(shellcheck, [
      '--shell=bash',
      '--severity=style',
      '--format=gcc',
      SCRIPT,
    ]).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? String(error) }));
    expect(stdout).toBe('');
  });

  it('reads every metadata key the provider sets (but the script itself and the guest-attributes switch)', () => {
    const read = Object.values(METADATA_KEYS).filter(
      (key) => key !== 'startup-script' && key !== 'enable-guest-attributes',
    );
    for (const key of read) expect(text, key).toMatch(new RegExp(`attr(_or)? ${key}\\b`));
  });

  it('sets only the guest states layout.ts names, and every one of them', () => {
    const set = [...text.matchAll(/set_state (\w+)/g)].map((m) => m[1]);
    expect(new Set(set)).toEqual(new Set(GUEST_STATES));
  });

  it('stays one readable file', () => {
    expect(text.startsWith('#!/usr/bin/env bash\n')).toBe(true);
    expect(text).toContain('set -euo pipefail');
    // The agent mode (standing VMs) brought it from under 200 lines to under 300: still one screenful a part.
    expect(text.split('\n').length).toBeLessThan(300);
  });
});
