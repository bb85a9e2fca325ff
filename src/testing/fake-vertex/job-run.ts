/**
 * One CustomJob's life in the fake: QUEUED → PENDING (provisioning) →
 * RUNNING (every replica a process, through the local provider's
 * process-running core) → SUCCEEDED / FAILED / CANCELLED. As on Vertex, the
 * job succeeds when the primary replica (pool 0) exits 0 — the others are
 * then stopped — and fails when any replica exits non-zero. Errors carry the
 * codes and wording the service uses.
 * (https://cloud.google.com/vertex-ai/docs/training/understanding-training-service)
 */

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import {
  type GroupResult,
  type ReplicaGroup,
  type ReplicaProcessSpec,
  type RunningReplica,
  startReplicaGroup,
} from '../../providers/local/replica-group.ts';
import { type HostsFile, inHostsNamespace } from '../hosts-file.ts';
import { clusterReplicas, type FakeReplica, vmsPerReplica } from './cluster-env.ts';
import type { VertexFaults } from './faults.ts';
import type { JobStore, StoredJob } from './job-store.ts';
import { type LogForwarder, type ReplicaLogSink, startLogForwarder } from './log-forwarder.ts';
import type { StatusMessage, WorkerPoolSpecMessage } from './messages.ts';

export interface FakeVertexTiming {
  /** Time in JOB_STATE_QUEUED. */
  queuedMs: number;
  /** Time in JOB_STATE_PENDING (provisioning). */
  pendingMs: number;
  /**
   * SIGTERM → SIGKILL when replicas are stopped: at the end of the job, on
   * cancel, and on preemption (Compute Engine gives Spot VMs 30 s notice).
   */
  stopGraceMs: number;
}

export interface JobRunDeps {
  store: JobStore;
  faults: VertexFaults;
  timing: FakeVertexTiming;
  /** Folder for replica log files (one sub-folder per job). */
  logDir: string;
  cwd: string;
  /** Extra env for every replica, e.g. STORAGE_EMULATOR_HOST to reach the fake Cloud Storage. */
  replicaEnv: Record<string, string>;
  /** `count` free `host:port` addresses for the replicas' servers. */
  allocateAddresses(count: number): Promise<string[]>;
  commandOf(pool: WorkerPoolSpecMessage): string[];
  /** Where the replicas' lines go as Cloud Logging entries (the fake Cloud Logging), if anywhere. */
  logSink?: ReplicaLogSink;
  /**
   * Where replicas' host names resolve: each replica then runs in a namespace
   * with this file as its /etc/hosts and is named in the cluster as Vertex
   * names it. Absent (no user namespaces here), replicas are 127.0.0.1:PORT.
   */
  hosts?: HostsFile;
}

/** Lines of a failed replica's log quoted in the job error. */
const ERROR_LOG_LINES = 5;

/** Non-zero exit of user code: the service reports it with INVALID_ARGUMENT (code 3). */
const USER_CODE_FAILED = status.INVALID_ARGUMENT;

/** An ending asked for from outside (cancel, preemption, timeout), recorded when the replicas are gone. */
interface RequestedEnd {
  state: string;
  error: StatusMessage;
}

const PREEMPTED: RequestedEnd = {
  state: 'JOB_STATE_FAILED',
  error: {
    code: status.UNAVAILABLE,
    message:
      'The job was preempted: Compute Engine reclaimed the Spot VMs running it. Resubmit it to continue from its checkpoints.',
  },
};

/**
 * A replica's host as Vertex names it in CLUSTER_SPEC
 * (`cmle-training-workerpool1-<job id>-0`).
 */
export function vertexHostName(jobId: string, pool: number, index: number): string {
  return `cmle-training-workerpool${pool}-${jobId}-${index}`;
}

export class JobRun {
  private timers = new Set<NodeJS.Timeout>();
  private group: ReplicaGroup | undefined;
  private forwarder: LogForwarder | undefined;
  private cluster: FakeReplica[] = [];
  private requested: RequestedEnd | undefined;
  private closed = false;
  private ended: Promise<void> = Promise.resolve();
  readonly logFolder: string;

  readonly job: StoredJob;
  private readonly deps: JobRunDeps;

  constructor(job: StoredJob, deps: JobRunDeps) {
    this.job = job;
    this.deps = deps;
    this.logFolder = join(deps.logDir, job.id);
  }

  get state(): string {
    return this.job.message.state ?? '';
  }

  /** The replicas started (empty before RUNNING), with their processes. */
  get replicas(): readonly (FakeReplica & { process: RunningReplica })[] {
    const processes = this.group?.replicas ?? [];
    return this.cluster.map((replica, i) => ({ ...replica, process: processes[i]! }));
  }

  start(): void {
    this.after(this.deps.timing.queuedMs, () => {
      this.deps.store.setState(this.job, 'JOB_STATE_PENDING');
      this.after(this.deps.timing.pendingMs, () => {
        void this.provision();
      });
    });
  }

  /** Cancels: a job not yet running is cancelled at once; a running one once its replicas stop. */
  cancel(): void {
    if (!['JOB_STATE_QUEUED', 'JOB_STATE_PENDING', 'JOB_STATE_RUNNING'].includes(this.state)) return;
    this.deps.store.setState(this.job, 'JOB_STATE_CANCELLING');
    this.requestEnd({ state: 'JOB_STATE_CANCELLED', error: { code: status.CANCELLED, message: 'CANCELED' } });
  }

  /** Preempts a running job: every replica gets SIGTERM, then SIGKILL. Resolves once it has ended. */
  async preempt(): Promise<void> {
    if (this.state === 'JOB_STATE_RUNNING') this.requestEnd(PREEMPTED);
    await this.ended;
  }

  /** Stops everything (server shutdown). */
  async dispose(): Promise<void> {
    this.closed = true;
    this.clearTimers();
    if (this.group) await this.group.stop('the fake Vertex is closing');
    this.forwarder?.stop();
    this.deps.hosts?.delete(this.job.id);
  }

  /** Log text of a replica, by name. */
  logOf(replicaName: string): string {
    try {
      return readFileSync(join(this.logFolder, `${replicaName}.log`), 'utf8');
    } catch {
      return '';
    }
  }

  private after(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) action();
    }, ms);
    this.timers.add(timer);
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private requestEnd(end: RequestedEnd): void {
    if (this.requested) return;
    this.requested = end;
    this.clearTimers();
    if (this.group) void this.group.stop(end.error.message);
    else this.deps.store.setState(this.job, end.state, end.error);
  }

  private fail(error: StatusMessage): void {
    this.deps.store.setState(this.job, 'JOB_STATE_FAILED', error);
  }

  private async provision(): Promise<void> {
    const pools = this.job.message.jobSpec?.workerPoolSpecs ?? [];
    const machineTypes = pools.flatMap((p) =>
      p.machineSpec?.machineType ? [p.machineSpec.machineType] : [],
    );
    if (this.deps.faults.takeStockout(machineTypes)) {
      this.fail({
        code: status.RESOURCE_EXHAUSTED,
        message: `Resources are insufficient in region: ${this.job.location}. Please try a different region or try again later (stockout of ${[...new Set(machineTypes)].join(', ')}).`,
      });
      return;
    }
    let replicas: FakeReplica[];
    try {
      const addresses = await this.deps.allocateAddresses(processCount(pools));
      replicas = clusterReplicas({
        job: this.job.message,
        jobId: this.job.id,
        nextAddress: () => addresses.shift()!,
        commandOf: (pool) => this.deps.commandOf(pool),
        ...(this.deps.hosts ? { hostOf: (pool, index) => vertexHostName(this.job.id, pool, index) } : {}),
      });
    } catch (error) {
      this.fail({ code: USER_CODE_FAILED, message: (error as Error).message });
      return;
    }
    // Cancelled, or the fake closed, while addresses were being found.
    if (this.closed || this.requested) return;
    mkdirSync(this.logFolder, { recursive: true });
    const hosts = this.deps.hosts;
    hosts?.set(this.job.id, [
      ...new Set(replicas.map((r) => r.address.slice(0, r.address.lastIndexOf(':')))),
    ]);
    const specs: ReplicaProcessSpec[] = replicas.map((replica) => ({
      name: replica.name,
      command: hosts ? inHostsNamespace(replica.command, hosts.path) : replica.command,
      env: { ...inheritedEnv(), ...this.deps.replicaEnv, ...replica.env },
      cwd: this.deps.cwd,
      // Vertex ends the job when the primary replica ends; every other replica runs until then.
      exitPolicy:
        replica.pool === 0 && replica.index === 0 && replica.vm === 0 ? 'must-succeed' : 'runs-until-end',
      runsProgram: true,
      logFile: join(this.logFolder, `${replica.name}.log`),
    }));
    this.cluster = replicas;
    this.group = startReplicaGroup(specs, { graceMs: this.deps.timing.stopGraceMs });
    if (this.deps.logSink) {
      this.forwarder = startLogForwarder(
        this.job,
        specs.map((s) => ({ name: s.name, logFile: s.logFile! })),
        this.deps.logSink,
      );
    }
    this.deps.store.setState(this.job, 'JOB_STATE_RUNNING');
    this.ended = this.group.done.then((result) => this.finish(result));
    const timeoutSec = Number(this.job.message.jobSpec?.scheduling?.timeout?.seconds ?? 0);
    if (timeoutSec > 0) {
      this.after(timeoutSec * 1000, () =>
        this.requestEnd({
          state: 'JOB_STATE_FAILED',
          error: {
            code: status.DEADLINE_EXCEEDED,
            message: `The job exceeded its timeout of ${timeoutSec}s.`,
          },
        }),
      );
    }
  }

  private finish(result: GroupResult): void {
    this.clearTimers();
    this.deps.hosts?.delete(this.job.id);
    // Every line is in Cloud Logging before the job reads as ended, as a reader of both expects.
    this.forwarder?.stop();
    const outcome = result.kind === 'outcome' ? result.outcome : undefined;
    if (this.requested) {
      this.deps.store.setState(this.job, this.requested.state, this.requested.error);
    } else if (outcome?.kind === 'succeeded') {
      this.deps.store.setState(this.job, 'JOB_STATE_SUCCEEDED');
    } else if (outcome) {
      this.fail({ code: USER_CODE_FAILED, message: this.replicaFailure(outcome.replica, result.replicas) });
    } else if (result.kind === 'stopped') {
      this.fail({ code: status.INTERNAL, message: `The job was stopped: ${result.reason}.` });
    }
  }

  private replicaFailure(name: string, replicas: readonly RunningReplica[]): string {
    const exit = replicas.find((r) => r.spec.name === name)?.exit;
    const how = exit?.startError
      ? `could not start: ${exit.startError}`
      : exit?.signal
        ? `was terminated by signal ${exit.signal}`
        : `exited with a non-zero status of ${exit?.code}`;
    const tail = this.logOf(name).trimEnd().split('\n').slice(-ERROR_LOG_LINES).join('\n');
    return `The replica ${name} ${how}.${tail ? ` Last log lines:\n${tail}` : ''}`;
  }
}

function processCount(pools: readonly WorkerPoolSpecMessage[]): number {
  return pools.reduce((sum, pool) => sum + Number(pool.replicaCount ?? 0) * vmsPerReplica(pool), 0);
}

/** What a container would have anyway: a PATH to find programs, HOME, a temp dir. */
function inheritedEnv(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['PATH', 'HOME', 'TMPDIR', 'LANG', 'NODE_OPTIONS']) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}
