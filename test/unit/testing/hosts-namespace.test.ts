/**
 * Fake machines resolve each other's names through a hosts file mounted in a
 * namespace of their own; that needs user namespaces, and where they are
 * missing the reason is said, never swallowed.
 */

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bootBlocker, HostsFile, inHostsNamespace } from '../../../src/testing/hosts-file.ts';
import { tempDir } from '../../support/local.ts';

const dir = tempDir('strato-hosts-namespace-');
afterAll(() => dir.remove());

describe('bootBlocker', () => {
  it('says why fake machines cannot run under their names when unshare cannot make the namespaces', () => {
    expect(bootBlocker('strato-no-such-unshare')).toMatch(
      /unshare --user --map-root-user --mount true`? failed here: .*ENOENT.*unprivileged user namespaces/s,
    );
  });

  it('finds nothing in the way on this machine (the fake VM and Vertex tests run here)', () => {
    expect(bootBlocker()).toBeUndefined();
  });
});

describe('inHostsNamespace', () => {
  it('runs a command that resolves the hosts file names; outside, nothing changes', () => {
    const hosts = new HostsFile(join(dir.path, 'hosts'));
    hosts.set('job-1', ['cmle-training-workerpool1-abc-0']);
    const [program, ...args] = inHostsNamespace(
      ['sh', '-c', 'getent hosts cmle-training-workerpool1-abc-0'],
      hosts.path,
    );
    const inside = spawnSync(program!, args, { encoding: 'utf8' });
    expect(inside.status, inside.stderr).toBe(0);
    expect(inside.stdout).toMatch(/^127\.0\.0\.1\s+cmle-training-workerpool1-abc-0$/m);
    expect(spawnSync('getent', ['hosts', 'cmle-training-workerpool1-abc-0']).status).not.toBe(0);
  });
});
