/**
 * The hosts file every fake machine (a fake VM, a fake Vertex replica) sees
 * as its `/etc/hosts`: the machine's own entries, then every fake machine's
 * names on 127.0.0.1 — they all share loopback, so `worker-1:2222` in a
 * TF_CONFIG reaches the process of the machine named worker-1 (each replica
 * on its own port: TensorFlow's server binds 0.0.0.0:<port>, so two on one
 * machine cannot share 2222).
 *
 * The machines see it through a bind mount in a user and mount namespace of
 * their own (`unshare -rm`; `inHostsNamespace` below, and the fake VMs'
 * `vm-process.ts`), which pins the
 * file's inode: so a change rewrites the file in place — new text over the
 * old, then truncated — never a new file renamed over it, which the mounts
 * would not see.
 */

import { spawnSync } from 'node:child_process';
import { closeSync, ftruncateSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';

export class HostsFile {
  readonly path: string;
  private readonly base: string;
  /** VM id → its names. */
  private readonly names = new Map<string, string[]>();

  constructor(path: string, machineHosts = '/etc/hosts') {
    this.path = path;
    let base = '127.0.0.1 localhost\n::1 localhost\n';
    try {
      base = readFileSync(machineHosts, 'utf8');
    } catch {
      // No hosts file on this machine: localhost alone.
    }
    this.base = base.endsWith('\n') ? base : `${base}\n`;
    writeFileSync(path, this.text());
  }

  set(id: string, names: string[]): void {
    this.names.set(id, [...new Set(names)]);
    this.rewrite();
  }

  delete(id: string): void {
    if (this.names.delete(id)) this.rewrite();
  }

  private text(): string {
    const lines = [...this.names.values()].filter((n) => n.length > 0).map((n) => `127.0.0.1 ${n.join(' ')}`);
    return `${this.base}# strato fake VMs (all on loopback)\n${lines.join('\n')}\n`;
  }

  private rewrite(): void {
    const bytes = Buffer.from(this.text());
    const fd = openSync(this.path, 'r+');
    try {
      writeSync(fd, bytes, 0, bytes.length, 0);
      ftruncateSync(fd, bytes.length);
    } finally {
      closeSync(fd);
    }
  }
}

let namespacesChecked: string | undefined | null = null;

/**
 * Why fake machines cannot run under their host names here (fake VMs cannot
 * boot; fake Vertex replicas fall back to 127.0.0.1), or undefined when they can: the machine
 * must allow unprivileged user namespaces (`unshare -rm true` succeeds).
 * Asked once per process for the machine's `unshare`.
 */
export function bootBlocker(unshare = 'unshare'): string | undefined {
  if (unshare === 'unshare' && namespacesChecked !== null) return namespacesChecked;
  const probe = spawnSync(unshare, ['--user', '--map-root-user', '--mount', 'true'], { encoding: 'utf8' });
  const why = probe.error?.message ?? (probe.stderr.trim() || `status ${probe.status}`);
  const blocker =
    probe.status === 0
      ? undefined
      : 'fake machines (VMs, Vertex replicas) run in a user and mount namespace of their own, where the hosts file ' +
        'naming them is mounted, ' +
        `and \`unshare --user --map-root-user --mount true\` failed here: ${why}. Install util-linux and allow ` +
        'unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or ' +
        'kernel.apparmor_restrict_unprivileged_userns=0).';
  if (unshare === 'unshare') namespacesChecked = blocker;
  return blocker;
}

/**
 * `command` run in a user and mount namespace of its own where `hostsPath` is
 * `/etc/hosts`. The wrapper execs into the command, so the pid (and process
 * group) that starts is the command's own: signals reach it as before.
 */
export function inHostsNamespace(command: readonly string[], hostsPath: string): string[] {
  return [
    'unshare',
    '--user',
    '--map-root-user',
    '--mount',
    '--',
    'sh',
    '-c',
    'mount --bind "$0" /etc/hosts && exec "$@"',
    hostsPath,
    ...command,
  ];
}
