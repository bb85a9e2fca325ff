/**
 * The control plane of jobs on machines (the `gce` and `tpu-vm` providers):
 * no SSH, only the VM's metadata going in and objects in the job's bucket
 * coming out. One place names both, because three parties must agree on
 * them: the provider that creates the machines and reads the objects, the
 * startup script that runs on every VM (`startup-script.sh` beside this
 * file), and the fake VMs of `src/testing` that run that script locally.
 *
 * Going in — instance (GCE) or node (TPU VM) metadata, set at create (a
 * job's own machines) or handed over later (standing machines, below):
 *   startup-script      the script itself (both services run it at boot)
 *   strato-standing     `TRUE` on a standing machine a stack deployed with
 *                       `stratoJobs: true`: the script is an agent there
 *   strato-job          the Strato job id
 *   strato-attempt      the attempt number, "1", "2", …
 *   strato-control      gs:// URI of the attempt's control folder (below)
 *   strato-storage-api  the Cloud Storage JSON API base the script uploads to
 *                       (absent: https://storage.googleapis.com)
 *   strato-launch       JSON `MachineLaunch` (below): image and what each
 *                       replica on this machine runs
 *   strato-replica      GCE only: the name of the replica this VM runs; a TPU
 *                       VM host picks its replica by `agent-worker-number`
 *   enable-guest-attributes  GCE only: `TRUE`, without which the metadata
 *                       server refuses the script's `strato/state` writes
 *                       (TPU VMs have guest attributes on already)
 *
 * Coming out — objects under `strato-control` = `<run dir>/attempts/<n>/`:
 *   <replica>.log        the replica's output so far, rewritten every few
 *                        seconds while it runs and once at the end; on an
 *                        idle TPU host (it runs no program), the script's own
 *                        lines saying so, once
 *   <replica>.exit.json  `ExitRecord` (below), written once when it ends
 *   <host>.boot.json     `BootRecord`: a host that started the script (also
 *                        written by idle TPU hosts, which run nothing)
 * and the guest attribute `strato/state` on the VM (`booting`, `pulling`,
 * `running`, `exited`, `idle`, `rebooted`).
 *
 * The provider reads one listing of the control folder per tick for all of a
 * job's replicas; it never opens a log to learn a state.
 *
 * Standing machines: the agent long-polls the metadata server; a provider
 * hands a job over by setting the work keys (`WORK_KEYS`) on machines that
 * carry the script and `strato-standing`, and takes it back (cancel, the
 * job's end) by clearing them — the agent stops a program whose keys are
 * gone. The machines stay; `idle` is their state between jobs.
 */

import { z } from 'zod';

export const METADATA_KEYS = {
  startupScript: 'startup-script',
  job: 'strato-job',
  attempt: 'strato-attempt',
  control: 'strato-control',
  storageApi: 'strato-storage-api',
  launch: 'strato-launch',
  replica: 'strato-replica',
  /** GCE: must be `TRUE` for the guest attribute `strato/state` to be writable (TPU VMs: always on). */
  guestAttributes: 'enable-guest-attributes',
  /** `TRUE`: a standing machine; the script waits for work keys instead of ending. */
  standing: 'strato-standing',
} as const;

/** The keys that hand one job's attempt to a machine; a standing machine without them is free. */
export const WORK_KEYS = [
  METADATA_KEYS.job,
  METADATA_KEYS.attempt,
  METADATA_KEYS.control,
  METADATA_KEYS.storageApi,
  METADATA_KEYS.launch,
  METADATA_KEYS.replica,
] as const;

export function isWorkKey(key: string | null | undefined): boolean {
  return (WORK_KEYS as readonly (string | null | undefined)[]).includes(key);
}

/** The guest attribute namespace and key the script sets with its state. */
export const GUEST_ATTRIBUTE = { namespace: 'strato', key: 'state' } as const;

export const GUEST_STATES = ['booting', 'pulling', 'running', 'exited', 'idle', 'rebooted'] as const;
export type GuestState = (typeof GUEST_STATES)[number];

/** One replica as the VM runs it: the plan's env for it, and its command line in the container. */
export const LaunchReplicaSchema = z.strictObject({
  /** `worker-1`, `tpu-host-0`. */
  name: z.string().min(1),
  /** TPU VM: the `agent-worker-number` of the host that runs it. */
  worker: z.number().int().min(0).optional(),
  /** False for hosts of a pod slice that only serve the TPU runtime: they write boot.json and a log saying so, and idle. */
  runsProgram: z.boolean(),
  env: z.record(z.string(), z.string()),
});

/** What `strato-launch` holds: the container and every replica of this machine group. */
export const MachineLaunchSchema = z.strictObject({
  image: z.string().min(1),
  /** Replaces the image entrypoint when set (`docker run --entrypoint`). */
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).default([]),
  /** `docker run` flags the provider asks for: `--privileged`, `--gpus all`. `--net=host` is always on. */
  dockerFlags: z.array(z.string()).default([]),
  replicas: z.array(LaunchReplicaSchema).min(1),
});
export type MachineLaunch = z.infer<typeof MachineLaunchSchema>;

/** `<replica>.exit.json`: how a replica's program ended on its VM. */
export const ExitRecordSchema = z.object({
  replica: z.string(),
  /** The container's exit status (128 + signal number when killed by one, as docker reports it). */
  exitCode: z.number().int(),
  endedAt: z.string(),
  /** The VM rebooted while the program ran: the script does not start it again and reports this instead. */
  rebooted: z.boolean().optional(),
  /** The last lines of output, for the job's error message. */
  lastLines: z.array(z.string()).optional(),
});
export type ExitRecord = z.infer<typeof ExitRecordSchema>;

/** `<host>.boot.json`: a machine ran the startup script. */
export const BootRecordSchema = z.object({
  host: z.string(),
  startedAt: z.string(),
  /** The replica it runs, absent on an idle TPU host. */
  replica: z.string().optional(),
  /** TPU VM: the host's `agent-worker-number` (its host name alone does not say it). */
  worker: z.number().int().min(0).optional(),
});
export type BootRecord = z.infer<typeof BootRecordSchema>;

/** `<run dir>/attempts/<n>/`: where attempt `n` of a job keeps its control objects. */
export function controlFolder(runDir: string, attempt: number): string {
  return `${runDir.replace(/\/+$/, '')}/attempts/${attempt}/`;
}

export const controlObjects = {
  log: (replica: string) => `${replica}.log`,
  exit: (replica: string) => `${replica}.exit.json`,
  boot: (host: string) => `${host}.boot.json`,
} as const;
