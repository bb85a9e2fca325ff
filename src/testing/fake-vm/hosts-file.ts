/**
 * The hosts file every fake VM sees as its `/etc/hosts`: the machine's own
 * entries, then every fake VM's names on 127.0.0.1 — all fake VMs share
 * loopback, so `worker-1:2222` in a TF_CONFIG reaches the process of the VM
 * named worker-1 (each replica on its own port: that is the plan's concern).
 *
 * The VMs see it through a bind mount (`vm-process.ts`), which pins the
 * file's inode: so a change rewrites the file in place — new text over the
 * old, then truncated — never a new file renamed over it, which the mounts
 * would not see.
 */

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
