/**
 * The supervisor of one attempt of a local job: runs the replica group,
 * enforces `scheduling.timeoutSec` (counted from the job's first start, over
 * all attempts), honours cancellation, keeps `supervisor.json` current so
 * any process can read the job's status, and records how the attempt ended
 * (`outcome`: facts, such as a replica killed by SIGTERM). Whether a
 * preempted job restarts is not its decision: the job lifecycle
 * (`src/jobs/controller.ts`) decides and calls `startAttempt`, which starts
 * the next attempt's supervisor. It runs detached from the submitter
 * (`supervisor-main.ts`), but is a plain function of its inputs, so tests
 * can drive it in-process too.
 */

import { appendFileSync, mkdirSync } from 'node:fs';
import type { AttemptOutcome, JobError, JobState, ReplicaState } from '../types.ts';
import { dockerRunCommand, removeContainer } from './docker.ts';
import { replicaEnvironment } from './env.ts';
import { lastLines } from './log-files.ts';
import type { GroupOutcome } from './outcome.ts';
import { processStartTicks } from './proc.ts';
import {
  type GroupResult,
  type ReplicaGroup,
  type ReplicaProcessSpec,
  type RunningReplica,
  startReplicaGroup,
} from './replica-group.ts';
import { findLocalState, jobFiles, type LaunchSpec, type LocalJobState, writeLocalState } from './state.ts';

/** Lines of a failed replica's log quoted in the job's error. */
const ERROR_LOG_LINES = 10;

export interface SupervisorOptions {
  jobDir: string;
  launch: LaunchSpec;
  /** The environment replicas inherit (less cluster variables). */
  baseEnv: NodeJS.ProcessEnv;
  now?(): Date;
}

export interface Supervisor {
  /** Resolves with the final state once nothing of the job runs. */
  readonly done: Promise<LocalJobState>;
  /** Stops the job and ends it CANCELLED (unless it ended otherwise first). */
  cancel(reason: string): void;
}

type StopReason = { kind: 'cancel'; reason: string } | { kind: 'timeout'; seconds: number };

function replicaState(replica: RunningReplica): ReplicaState {
  if (!replica.spec.runsProgram) return 'IDLE';
  if (!replica.exit) return replica.pid === undefined ? 'PENDING' : 'RUNNING';
  if (replica.exit.stoppedByUs) return 'STOPPED';
  return replica.exit.code === 0 ? 'SUCCEEDED' : 'FAILED';
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

export function startSupervisor(options: SupervisorOptions): Supervisor {
  const { jobDir, launch } = options;
  const now = options.now ?? (() => new Date());
  const files = jobFiles(jobDir);
  const plan = launch.plan;
  const existing = findLocalState(jobDir);
  if (!existing) throw new Error(`no supervisor.json in ${jobDir}`);
  const state: LocalJobState = existing;
  let group: ReplicaGroup | undefined;
  let stopReason: StopReason | undefined;
  let timeoutTimer: NodeJS.Timeout | undefined;

  const save = (patch: Partial<LocalJobState> = {}) => {
    Object.assign(state, patch, { updatedAt: now().toISOString() });
    writeLocalState(jobDir, state);
  };

  function processSpecs(): ReplicaProcessSpec[] {
    return plan.replicas.map((replica) => ({
      name: replica.name,
      command: launch.docker
        ? dockerRunCommand(launch.jobId, plan, replica)
        : [...(plan.command ?? []), ...plan.args],
      env: replicaEnvironment(options.baseEnv, replica.env),
      cwd: launch.cwd,
      exitPolicy: replica.exitPolicy,
      runsProgram: replica.runsProgram,
      logFile: files.replicaLog(replica.name),
    }));
  }

  function recordReplicas(replicas: readonly RunningReplica[]) {
    state.replicas = replicas.map((r, i) => {
      const planned = plan.replicas[i]!;
      return {
        name: r.spec.name,
        role: planned.role,
        index: planned.index,
        state: replicaState(r),
        ...(r.pid !== undefined ? { pid: r.pid, pgid: r.pgid } : {}),
        ...(r.startTicks !== undefined ? { startTicks: r.startTicks } : {}),
        ...(r.exit?.code !== undefined && r.exit.code !== null ? { exitCode: r.exit.code } : {}),
        ...(r.exit?.signal ? { signal: r.exit.signal } : {}),
        ...(r.startedAt ? { startedAt: r.startedAt.toISOString() } : {}),
        ...(r.endedAt ? { endedAt: r.endedAt.toISOString() } : {}),
      };
    });
  }

  function failureError(
    outcome: Exclude<GroupOutcome, { kind: 'succeeded' }>,
    replicas: readonly RunningReplica[],
  ) {
    const replica = replicas.find((r) => r.spec.name === outcome.replica);
    const startError = replica?.exit?.startError;
    const how = startError ? `could not start: ${startError}` : describeExit(outcome.code, outcome.signal);
    const error: JobError = {
      message: `${outcome.replica} ${how}`,
      replica: outcome.replica,
      ...(outcome.code !== null ? { exitCode: outcome.code } : {}),
      ...(outcome.signal ? { signal: outcome.signal } : {}),
      lastLines: lastLines(files.replicaLog(outcome.replica), ERROR_LOG_LINES),
    };
    return error;
  }

  function finish(finalState: JobState, message: string, error?: JobError, outcome?: AttemptOutcome) {
    if (timeoutTimer) clearTimeout(timeoutTimer);
    if (launch.docker) for (const r of plan.replicas) removeContainer(launch.jobId, r.name);
    save({
      state: finalState,
      message,
      endedAt: now().toISOString(),
      ...(error ? { error } : {}),
      ...(outcome ? { outcome } : {}),
    });
    return state;
  }

  function markAttempt(reason: string) {
    for (const replica of plan.replicas) {
      if (!replica.runsProgram) continue;
      appendFileSync(
        files.replicaLog(replica.name),
        `--- strato: attempt ${state.attempt} of ${launch.jobId} (${reason}) ---\n`,
      );
    }
  }

  async function runAttempt(): Promise<LocalJobState> {
    mkdirSync(files.logs, { recursive: true });
    save({
      supervisor: { ...state.supervisor, pid: process.pid, startTicks: processStartTicks(process.pid) },
      message: 'starting replicas',
    });
    const timeoutSec = plan.scheduling.timeoutSec;
    if (timeoutSec !== undefined) {
      // The limit is the job's, not each attempt's: a restart does not reset it.
      const ranMs = state.startedAt ? now().getTime() - Date.parse(state.startedAt) : 0;
      timeoutTimer = setTimeout(
        () => {
          stopReason ??= { kind: 'timeout', seconds: timeoutSec };
          void group?.stop(`scheduling.timeoutSec (${timeoutSec} s) reached`);
        },
        Math.max(0, timeoutSec * 1000 - ranMs),
      );
    }
    if (stopReason) return endStopped(stopReason);
    if (state.attempt > 1) markAttempt(state.restarts.at(-1)?.reason ?? 'restart');
    group = startReplicaGroup(processSpecs(), {
      graceMs: launch.graceMs,
      now,
      onEvent: (event) => {
        if (event.type === 'started') return; // recorded once, after the spawn loop
        recordReplicas(group?.replicas ?? []);
        save();
      },
    });
    recordReplicas(group.replicas);
    const running = group.replicas.filter((r) => r.pid !== undefined && !r.exit).length;
    save({
      state: 'RUNNING',
      startedAt: state.startedAt ?? now().toISOString(),
      supervisor: { ...state.supervisor, watchdogPid: group.watchdogPid },
      message: `${running} replica${running === 1 ? '' : 's'} running (attempt ${state.attempt})`,
    });
    if (stopReason) void group.stop(stopReasonText(stopReason));
    const result: GroupResult = await group.done;
    recordReplicas(result.replicas);
    if (result.kind === 'stopped') return endStopped(stopReason ?? { kind: 'cancel', reason: result.reason });
    const outcome = result.outcome;
    if (outcome.kind === 'succeeded') {
      return finish('SUCCEEDED', 'every replica that had to succeed did', undefined, { kind: 'succeeded' });
    }
    const error = failureError(outcome, result.replicas);
    return finish('FAILED', error.message, error, {
      kind: 'failed',
      // A stop we asked for (timeout) is not a preemption, whatever signal ended the replicas.
      preempted: outcome.kind === 'preempted' && stopReason === undefined,
      cause: error.message,
      replica: outcome.replica,
      ...(outcome.code !== null ? { exitCode: outcome.code } : {}),
      ...(outcome.signal ? { signal: outcome.signal } : {}),
    });
  }

  function stopReasonText(reason: StopReason): string {
    return reason.kind === 'cancel' ? reason.reason : `scheduling.timeoutSec (${reason.seconds} s) reached`;
  }

  function endStopped(reason: StopReason): LocalJobState {
    if (reason.kind === 'timeout') {
      const message = `the job ran longer than scheduling.timeoutSec (${reason.seconds} s) and was stopped`;
      return finish('FAILED', message, { message }, { kind: 'failed', preempted: false, cause: message });
    }
    return finish('CANCELLED', `cancelled: ${reason.reason}`, { message: `cancelled: ${reason.reason}` });
  }

  const done = runAttempt().catch((error: unknown) => {
    // A bug here must still end the job visibly, with nothing left running.
    const message = `the supervisor failed: ${(error as Error).message ?? String(error)}`;
    return (group?.stop(message) ?? Promise.resolve()).then(() => finish('FAILED', message, { message }));
  });

  return {
    done,
    cancel(reason) {
      stopReason ??= { kind: 'cancel', reason };
      void group?.stop(reason);
    },
  };
}
