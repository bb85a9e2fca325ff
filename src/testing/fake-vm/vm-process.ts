/**
 * One boot of one fake VM: its startup script run with bash as a local
 * process group, in a user and mount namespace of its own
 * (`unshare --user --map-root-user --mount`) where the fleet's hosts file is
 * bind-mounted over `/etc/hosts`, so every fake VM's name resolves inside.
 * The script is root there, as on a VM, and this machine's user outside.
 *
 * Shutting the VM down signals the whole group: SIGTERM first, then SIGKILL
 * after a grace period (as Compute Engine gives a preempted VM 30 s), and it
 * is down only when no process of the group is left.
 */

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { sleep } from '../../internal/sleep.ts';

/**
 * The command run inside the namespaces: mount the hosts file, start the
 * watchman, become the script. The watchman holds fd 3, one end of a pipe
 * whose other end only the fake's Node process holds: when that process
 * dies, even by SIGKILL, the read ends and the watchman takes the VM's whole
 * group down (SIGTERM, then SIGKILL after the grace period), so no VM
 * outlives its fake. A shutdown by the fake itself kills the watchman first
 * (it ignores SIGTERM only once it fires). The script does not get fd 3.
 */
const ENTER = [
  'mount --bind "$1" /etc/hosts || exit 1',
  '{ read -r _ <&3; trap "" TERM; kill -TERM 0; sleep "$3"; kill -KILL 0; } &',
  'exec bash "$2" 3<&-',
].join('\n');

let namespacesChecked: string | undefined | null = null;

/**
 * Why fake VMs cannot boot here, or undefined when they can: the machine
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
      : 'fake VMs run their startup script in a user and mount namespace of their own (for the hosts file), ' +
        `and \`unshare --user --map-root-user --mount true\` failed here: ${why}. Install util-linux and allow ` +
        'unprivileged user namespaces (sysctl kernel.unprivileged_userns_clone=1, or ' +
        'kernel.apparmor_restrict_unprivileged_userns=0).';
  if (unshare === 'unshare') namespacesChecked = blocker;
  return blocker;
}

export interface VmProcessOptions {
  scriptPath: string;
  hostsPath: string;
  cwd: string;
  env: Record<string, string>;
  /** SIGTERM → SIGKILL when the fake's process dies under the VM. */
  graceMs: number;
  /** Every line the script writes (stdout and stderr): the VM's serial console. */
  console(text: string): void;
}

export class VmProcess {
  readonly pid: number;
  /** Settles when the script itself exits (its children may live on, as on a VM). */
  readonly scriptExited: Promise<number | null>;
  private readonly child: ChildProcess;

  constructor(options: VmProcessOptions) {
    this.child = spawn(
      'unshare',
      [
        '--user',
        '--map-root-user',
        '--mount',
        '--',
        'bash',
        '-c',
        ENTER,
        'strato-vm',
        options.hostsPath,
        options.scriptPath,
        String(Math.max(1, Math.ceil(options.graceMs / 1000))),
      ],
      // fd 3: the watchman's pipe (ENTER).
      { cwd: options.cwd, env: options.env, detached: true, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] },
    );
    this.pid = this.child.pid ?? -1;
    const forward = (chunk: Buffer) => options.console(chunk.toString('utf8'));
    this.child.stdout?.on('data', forward);
    this.child.stderr?.on('data', forward);
    this.scriptExited = new Promise((resolve) => {
      this.child.once('error', (error) => {
        options.console(`strato fake VM: the startup script did not start: ${error.message}\n`);
        resolve(null);
      });
      this.child.once('exit', (code, signal) => {
        options.console(`strato fake VM: startup-script exited (${signal ?? `status ${code}`})\n`);
        resolve(code);
      });
    });
  }

  /** True while any process of the VM's group is alive. */
  alive(): boolean {
    if (this.pid < 0) return false;
    try {
      process.kill(-this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }

  private signal(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** SIGTERM to every process of the VM, SIGKILL to what is left after `graceMs`; resolves when none is left. */
  async shutDown(graceMs: number): Promise<void> {
    if (!this.alive()) return;
    this.signal('SIGTERM');
    const deadline = Date.now() + graceMs;
    while (this.alive() && Date.now() < deadline) await sleep(25);
    while (this.alive()) {
      this.signal('SIGKILL');
      await sleep(25);
    }
  }
}
