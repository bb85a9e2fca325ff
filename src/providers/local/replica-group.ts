/**
 * The process-running core: start a set of replicas as child processes, each
 * the leader of its own process group, watch them, decide when the group has
 * ended (see `outcome.ts`) and stop what is left — SIGTERM, then SIGKILL
 * after the grace period. Nothing here knows about job records or files
 * other than the log file each replica writes to; the supervisor and the
 * fake Vertex AI both build on it.
 *
 * No orphans: every group is also handed to a watchdog (`watchdog.ts`) that
 * stops it if this process dies first, and a group counts as ended only when
 * no process of it is left (a replica's own children included).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, statSync } from 'node:fs';
import { sleep } from '../../internal/sleep.ts';
import type { ExitPolicy } from '../../strategies/plan.ts';
import {
  COMMAND_NOT_FOUND_EXIT_CODE,
  decideOutcome,
  type GroupOutcome,
  type ReplicaExit,
} from './outcome.ts';
import { processesInGroup, processStartTicks, signalGroup } from './proc.ts';
import { startWatchdog, type Watchdog } from './watchdog.ts';

/** Default time between SIGTERM and SIGKILL; Kubernetes and Vertex give 30 s, a laptop needs less. */
export const DEFAULT_GRACE_MS = 10_000;
/** How often a draining group is checked for leftover processes. */
const DRAIN_POLL_MS = 25;

export interface ReplicaProcessSpec {
  name: string;
  /** Program and arguments. */
  command: string[];
  /** The complete environment of the process (nothing is inherited implicitly). */
  env: Record<string, string>;
  cwd: string;
  exitPolicy: ExitPolicy;
  /** False: a host that runs nothing (TPU runtime only); never started. */
  runsProgram: boolean;
  /** Append stdout and stderr here; without it output is discarded. */
  logFile?: string;
}

export interface ReplicaExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Ended because the group was stopping, not by itself. */
  stoppedByUs: boolean;
  /** Why it could not start (no such program, no such folder). */
  startError?: string;
}

export interface RunningReplica {
  readonly spec: ReplicaProcessSpec;
  pid?: number;
  /** Equal to `pid`: every replica leads its own process group. */
  pgid?: number;
  startTicks?: number;
  startedAt?: Date;
  endedAt?: Date;
  exit?: ReplicaExitInfo;
}

export type ReplicaGroupEvent =
  | { type: 'started'; replica: RunningReplica }
  | { type: 'exited'; replica: RunningReplica }
  | { type: 'stopping'; reason: string };

export type GroupResult =
  | { kind: 'outcome'; outcome: GroupOutcome; replicas: readonly RunningReplica[] }
  | { kind: 'stopped'; reason: string; replicas: readonly RunningReplica[] };

export interface ReplicaGroupOptions {
  /** SIGTERM → SIGKILL delay when stopping. Default 10 s. */
  graceMs?: number;
  /** Guard against this process dying first (default true). */
  watchdog?: boolean;
  onEvent?(event: ReplicaGroupEvent): void;
  now?(): Date;
}

export interface ReplicaGroup {
  readonly replicas: readonly RunningReplica[];
  readonly watchdogPid: number | undefined;
  /** Resolves once no process of the group is left. */
  readonly done: Promise<GroupResult>;
  /** Stops every replica (SIGTERM, SIGKILL after the grace period); resolves like `done`. */
  stop(reason: string): Promise<GroupResult>;
}

/** Checks what `spawn` would only report as a bare ENOENT. */
function startProblem(spec: ReplicaProcessSpec): string | undefined {
  if (spec.command.length === 0) return 'empty command';
  if (!existsSync(spec.cwd) || !statSync(spec.cwd).isDirectory()) {
    return `working directory ${spec.cwd} does not exist`;
  }
  return undefined;
}

function describeSpawnError(spec: ReplicaProcessSpec, error: NodeJS.ErrnoException): string {
  const program = spec.command[0];
  if (error.code === 'ENOENT') return `command not found: ${program} (not in PATH nor ${spec.cwd})`;
  if (error.code === 'EACCES') return `${program} is not executable (EACCES)`;
  return `cannot start ${program}: ${error.message}`;
}

export function startReplicaGroup(
  specs: readonly ReplicaProcessSpec[],
  options: ReplicaGroupOptions = {},
): ReplicaGroup {
  const graceMs = options.graceMs ?? DEFAULT_GRACE_MS;
  const now = options.now ?? (() => new Date());
  const emit = (event: ReplicaGroupEvent) => options.onEvent?.(event);
  const watchdog: Watchdog | undefined = options.watchdog === false ? undefined : startWatchdog({ graceMs });
  const replicas: RunningReplica[] = specs.map((spec) => ({ spec }));
  const children = new Map<RunningReplica, ChildProcess>();
  let result: GroupResult | undefined;
  let stopping: { reason: string } | undefined;
  let killTimer: NodeJS.Timeout | undefined;
  let resolveDone!: (result: GroupResult) => void;
  const done = new Promise<GroupResult>((resolve) => {
    resolveDone = resolve;
  });

  const running = () => replicas.filter((r) => r.pid !== undefined && !r.exit);

  function exitsForOutcome(): ReplicaExit[] {
    return replicas.map((r) => ({
      name: r.spec.name,
      exitPolicy: r.spec.exitPolicy,
      runsProgram: r.spec.runsProgram,
      ...(r.exit
        ? { exit: { code: r.exit.code, signal: r.exit.signal, stoppedByUs: r.exit.stoppedByUs } }
        : {}),
    }));
  }

  function beginStop(reason: string) {
    if (stopping) return;
    stopping = { reason };
    emit({ type: 'stopping', reason });
    for (const replica of running()) signalGroup(replica.pgid!, 'SIGTERM');
    killTimer = setTimeout(() => {
      for (const replica of replicas) if (replica.pgid !== undefined) signalGroup(replica.pgid, 'SIGKILL');
    }, graceMs);
    killTimer.unref();
    void finishWhenDrained();
  }

  /** Waits until no process of any group is left, then settles `done`. */
  async function finishWhenDrained() {
    const deadline = Date.now() + graceMs + 5_000;
    for (;;) {
      const leftovers = replicas.filter(
        (r) => r.pgid !== undefined && (!r.exit || groupHasProcesses(r.pgid)),
      );
      if (leftovers.length === 0 || Date.now() > deadline) break;
      await sleep(DRAIN_POLL_MS);
    }
    if (killTimer) clearTimeout(killTimer);
    watchdog?.close();
    resolveDone(result ?? { kind: 'stopped', reason: stopping?.reason ?? 'stopped', replicas });
  }

  function onExit(replica: RunningReplica, exit: ReplicaExitInfo) {
    if (replica.exit) return;
    replica.exit = exit;
    replica.endedAt = now();
    children.delete(replica);
    if (replica.pgid !== undefined) {
      // The leader is gone; whatever it left in its group goes too.
      signalGroup(replica.pgid, stopping ? 'SIGKILL' : 'SIGTERM');
      const pgid = replica.pgid;
      setTimeout(
        () => {
          signalGroup(pgid, 'SIGKILL');
          if (!groupHasProcesses(pgid)) watchdog?.forget(pgid);
        },
        Math.min(graceMs, 1_000),
      ).unref();
    }
    emit({ type: 'exited', replica });
    if (stopping) return;
    const outcome = decideOutcome(exitsForOutcome());
    if (!outcome) return;
    result = { kind: 'outcome', outcome, replicas };
    beginStop(outcome.kind === 'succeeded' ? 'the job succeeded' : `${outcome.replica} ended the job`);
  }

  for (const replica of replicas) {
    const { spec } = replica;
    if (!spec.runsProgram) continue;
    const problem = startProblem(spec);
    if (problem) {
      onExit(replica, {
        code: COMMAND_NOT_FOUND_EXIT_CODE,
        signal: null,
        stoppedByUs: false,
        startError: problem,
      });
      continue;
    }
    const log = spec.logFile ? openSync(spec.logFile, 'a') : 'ignore';
    let child: ChildProcess;
    try {
      child = spawn(spec.command[0]!, spec.command.slice(1), {
        cwd: spec.cwd,
        env: spec.env,
        detached: true,
        stdio: ['ignore', log, log],
      });
    } finally {
      if (typeof log === 'number') closeSync(log);
    }
    children.set(replica, child);
    child.on('error', (error: NodeJS.ErrnoException) => {
      if (child.pid === undefined) {
        onExit(replica, {
          code: COMMAND_NOT_FOUND_EXIT_CODE,
          signal: null,
          stoppedByUs: false,
          startError: describeSpawnError(spec, error),
        });
      }
    });
    child.on('exit', (code, signal) =>
      onExit(replica, { code, signal, stoppedByUs: stopping !== undefined }),
    );
    if (child.pid !== undefined) {
      replica.pid = child.pid;
      replica.pgid = child.pid;
      replica.startTicks = processStartTicks(child.pid);
      replica.startedAt = now();
      watchdog?.watch(child.pid);
      emit({ type: 'started', replica });
    }
  }
  if (!stopping && replicas.every((r) => !r.spec.runsProgram)) {
    result = { kind: 'outcome', outcome: { kind: 'succeeded' }, replicas };
    beginStop('nothing to run');
  }

  return {
    replicas,
    watchdogPid: watchdog?.pid,
    done,
    stop(reason) {
      beginStop(reason);
      return done;
    },
  };
}

function groupHasProcesses(pgid: number): boolean {
  if (existsSync('/proc/self')) return processesInGroup(pgid).length > 0;
  // Without /proc, ask the kernel about the group itself (zombies count as present there).
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}
