/**
 * The fake VMs' hosts file: every VM's names on 127.0.0.1 after the
 * machine's own entries, rewritten in place (same inode) so the bind mounts
 * that show it as each VM's /etc/hosts see every change.
 */

import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HostsFile } from '../../../../src/testing/fake-vm/hosts-file.ts';
import { tempDir } from '../../../support/local.ts';

const dir = tempDir('strato-hosts-');
afterAll(() => dir.remove());

describe('HostsFile', () => {
  it('lists every VM name on loopback after the machine entries, and changes in place', () => {
    const machine = join(dir.path, 'machine-hosts');
    writeFileSync(machine, '127.0.0.1 localhost\n10.0.0.9 build-box\n');
    const hosts = new HostsFile(join(dir.path, 'hosts'), machine);
    const inode = statSync(hosts.path).ino;
    hosts.set('compute/1', ['worker-0', 'worker-0.us-central1-a.c.p.internal']);
    hosts.set('compute/2', ['worker-1']);
    expect(readFileSync(hosts.path, 'utf8')).toMatch(
      /^127\.0\.0\.1 localhost\n10\.0\.0\.9 build-box\n#.*\n127\.0\.0\.1 worker-0 worker-0\.us-central1-a\.c\.p\.internal\n127\.0\.0\.1 worker-1\n$/,
    );
    hosts.delete('compute/1');
    const text = readFileSync(hosts.path, 'utf8');
    expect(text).not.toContain('worker-0');
    expect(text.endsWith('127.0.0.1 worker-1\n')).toBe(true);
    expect(statSync(hosts.path).ino).toBe(inode);
  });
});
