/**
 * The fake VMs of one fake cloud: each VM that a fake Compute instance or
 * fake TPU node brings up boots here — a metadata server of its own, a
 * sandbox folder (kept across reboots, as a VM's disk is), its startup
 * script run as a local process group — and shuts down when the service
 * stops, preempts or deletes it. Closing the fleet shuts every VM down: no
 * process outlives it.
 *
 * Sandbox of a VM, under the fleet's folder: `vms/<name>-<n>/` with `home/`
 * (HOME), `var/lib/strato/` (STRATO_VM_STATE_DIR), `startup-script`, and
 * `console.log` (its serial console).
 */

import { appendFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootBlocker, HostsFile } from '../hosts-file.ts';
import { type ImageCommands, imageCommandTable } from '../image-commands.ts';
import { installDockerShim } from './docker-install.ts';
import type { VmIdentity } from './identity.ts';
import { type MetadataServer, startMetadataServer } from './metadata-server.ts';
import { VmProcess } from './vm-process.ts';

export interface FakeVmOptions {
  /** Folder of the sandboxes; default a new temp folder, removed at close. */
  dir?: string;
  /** Image → command for the `docker` shim, added to the default table (Strato's trainer images). */
  images?: ImageCommands;
  /** Environment every VM's processes get on top of PATH, HOME and the metadata host (e.g. the fake GCS's). */
  env?: Record<string, string>;
  /** SIGTERM → SIGKILL when a VM shuts down; default 5 s. */
  graceMs?: number;
}

/** Starts a VM's metadata service; the default is Compute Engine's (`metadata-server.ts`), EC2's is IMDS. */
export type MetadataStarter = (vm: VmIdentity) => Promise<MetadataServer>;

interface Booted {
  identity: VmIdentity;
  startMetadata: MetadataStarter;
  sandbox: string;
  process?: VmProcess;
  metadata?: MetadataServer;
  /** The boot or shutdown in progress: the next one waits for it. */
  busy: Promise<void>;
}

/**
 * The fleet a fake service boots its machines in, from its `boot` option: a
 * shared fleet (`startFakeCloud`'s, so names resolve across services), a new
 * one of its own (`true` or options; `own`: the service closes it), or none.
 */
export function fleetOf(boot: boolean | FakeVmOptions | VmFleet | undefined): {
  fleet: VmFleet | undefined;
  own: boolean;
} {
  if (boot instanceof VmFleet) return { fleet: boot, own: false };
  if (!boot) return { fleet: undefined, own: false };
  return { fleet: new VmFleet(boot === true ? {} : boot), own: true };
}

export class VmFleet {
  /** The fleet's folder (sandboxes, hosts file, the docker shim). */
  readonly dir: string;
  readonly hosts: HostsFile;
  private readonly graceMs: number;
  private readonly env: Record<string, string>;
  private readonly ownsDir: boolean;
  private readonly vms = new Map<string, Booted>();
  private readonly bin: string;
  private readonly shimEnv: Record<string, string>;
  private sandboxes = 0;
  private closing: Promise<void> | undefined;

  constructor(options: FakeVmOptions = {}) {
    this.ownsDir = !options.dir;
    this.dir = options.dir ?? mkdtempSync(join(tmpdir(), 'strato-fake-vms-'));
    mkdirSync(join(this.dir, 'vms'), { recursive: true });
    this.hosts = new HostsFile(join(this.dir, 'hosts'));
    const shim = installDockerShim(this.dir, imageCommandTable(options.images));
    this.bin = shim.bin;
    this.shimEnv = shim.env;
    this.graceMs = options.graceMs ?? 5000;
    this.env = options.env ?? {};
  }

  /** The sandbox of a VM (undefined before its first boot). */
  sandboxOf(id: string): string | undefined {
    return this.vms.get(id)?.sandbox;
  }

  /** Pids of the VM's script (its process group), while it runs. */
  pidOf(id: string): number | undefined {
    return this.vms.get(id)?.process?.pid;
  }

  /** Ids of the VMs with processes alive. */
  running(): string[] {
    return [...this.vms.entries()].filter(([, vm]) => vm.process?.alive()).map(([id]) => id);
  }

  /**
   * The VM comes up: its names resolve, and with a startup script it boots
   * (after any shutdown of it still in progress). A VM without a script only
   * gets its names.
   */
  boot(
    identity: VmIdentity,
    script: string | undefined,
    startMetadata: MetadataStarter = startMetadataServer,
  ): void {
    if (this.closing) return;
    this.hosts.set(identity.id, identity.aliases);
    const known = this.vms.get(identity.id);
    const vm: Booted = known ?? {
      identity,
      sandbox: join(this.dir, 'vms', `${identity.name}-${++this.sandboxes}`),
      startMetadata,
      busy: Promise.resolve(),
    };
    vm.identity = identity;
    vm.startMetadata = startMetadata;
    this.vms.set(identity.id, vm);
    if (script === undefined) return;
    vm.busy = vm.busy
      .then(() => this.start(vm, script))
      .catch((error: unknown) => {
        vm.identity.console(`strato fake VM: boot failed: ${(error as Error).message}\n`);
      });
  }

  private async start(vm: Booted, script: string): Promise<void> {
    if (this.closing) return;
    const console = (text: string) => {
      vm.identity.console(text);
      try {
        appendFileSync(join(vm.sandbox, 'console.log'), text);
      } catch {
        // The fleet closed and removed the sandbox while the VM's last words were on their way.
      }
    };
    mkdirSync(join(vm.sandbox, 'home'), { recursive: true });
    mkdirSync(join(vm.sandbox, 'var', 'lib', 'strato'), { recursive: true });
    const blocker = bootBlocker();
    if (blocker) {
      console(`strato fake VM: cannot boot ${vm.identity.name}: ${blocker}\n`);
      return;
    }
    const scriptPath = join(vm.sandbox, 'startup-script');
    writeFileSync(scriptPath, script);
    vm.metadata = await vm.startMetadata(vm.identity);
    console(
      `strato fake VM: ${vm.identity.name} booting (metadata ${vm.metadata.host}, sandbox ${vm.sandbox})\n`,
    );
    vm.process = new VmProcess({
      scriptPath,
      hostsPath: this.hosts.path,
      cwd: vm.sandbox,
      graceMs: this.graceMs,
      console,
      env: {
        ...this.env,
        ...this.shimEnv,
        PATH: `${this.bin}:${process.env.PATH ?? '/usr/bin:/bin'}`,
        HOME: join(vm.sandbox, 'home'),
        LANG: 'C.UTF-8',
        GCE_METADATA_HOST: vm.metadata.host,
        STRATO_VM_STATE_DIR: join(vm.sandbox, 'var', 'lib', 'strato'),
        ...vm.metadata.env,
      },
    });
  }

  /** The VM goes down (stop, preemption, delete): every process of it ends; a deleted VM's names go. */
  halt(id: string, deleted: boolean): Promise<void> {
    const vm = this.vms.get(id);
    if (deleted) this.hosts.delete(id);
    if (!vm) return Promise.resolve();
    vm.busy = vm.busy.then(() => this.shutDown(vm));
    if (deleted) this.vms.delete(id);
    return vm.busy;
  }

  private async shutDown(vm: Booted): Promise<void> {
    const running = vm.process;
    vm.process = undefined;
    if (running) {
      await running.shutDown(this.graceMs);
      vm.identity.console('strato fake VM: shut down\n');
    }
    await vm.metadata?.close();
    vm.metadata = undefined;
  }

  /** Shuts every VM down whose id starts with `prefix` (a fake service closing). */
  async haltAll(prefix = ''): Promise<void> {
    const ids = [...this.vms.keys()].filter((id) => id.startsWith(prefix));
    await Promise.all(ids.map((id) => this.halt(id, true)));
  }

  /** Shuts every VM down and removes the fleet's folder if it made it. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.haltAll();
      if (this.ownsDir) rmSync(this.dir, { recursive: true, force: true });
    })();
    return this.closing;
  }
}
