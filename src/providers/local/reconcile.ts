/**
 * A job whose supervisor is gone (killed, crashed, machine rebooted) but
 * whose record still says QUEUED or RUNNING: stop whatever of it still runs
 * and end the record, so no reader ever shows it RUNNING forever. Any
 * process that reads the status does this; doing it twice is harmless.
 */

import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { isTerminalState } from '../types.ts';
import { isProcessAlive, processesInGroup, signalGroup } from './proc.ts';
import { jobFiles, type LocalJobState, writeLocalState } from './state.ts';
import { findCheckedLocalState as findLocalState } from './state-schema.ts';

export interface SupervisorIdentity {
  pid?: number;
  startTicks?: number;
}

export function supervisorOf(state: LocalJobState, fallback: SupervisorIdentity): SupervisorIdentity {
  return state.supervisor.pid !== undefined ? state.supervisor : fallback;
}

export function isSupervisorAlive(state: LocalJobState, fallback: SupervisorIdentity): boolean {
  const { pid, startTicks } = supervisorOf(state, fallback);
  return pid !== undefined && isProcessAlive(pid, startTicks);
}

/** SIGKILLs what is left of the job's replica groups; returns how many groups had processes. */
export function killLeftoverReplicas(state: LocalJobState): number {
  let killed = 0;
  for (const replica of state.replicas) {
    if (replica.pgid === undefined || replica.pid === undefined) continue;
    // The leader itself, if it is still the process we started.
    const leaderAlive = isProcessAlive(replica.pid, replica.startTicks);
    // Orphans of a dead leader keep its group id; the id cannot be reused while they live.
    const orphans = leaderAlive ? [] : processesInGroup(replica.pgid);
    if (leaderAlive || orphans.length > 0) {
      signalGroup(replica.pgid, 'SIGKILL');
      killed++;
    }
  }
  return killed;
}

/** How much of the end of supervisor.log is shown in the status. */
const LAST_WORDS_BYTES = 2048;

/**
 * What the dead supervisor's log says at its end, as part of a sentence. An
 * empty log is said to be empty, with its likely causes, instead of being
 * pointed to: a supervisor killed by SIGKILL (the OOM killer, a user) or
 * starved by a full disk writes nothing.
 */
function lastWords(logPath: string): string {
  let tail = '';
  try {
    const fd = openSync(logPath, 'r');
    try {
      const size = fstatSync(fd).size;
      const buffer = Buffer.alloc(Math.min(size, LAST_WORDS_BYTES));
      readSync(fd, buffer, 0, buffer.length, size - buffer.length);
      tail = buffer.toString('utf8').trim();
    } finally {
      closeSync(fd);
    }
  } catch {
    // No log at all reads as an empty one.
  }
  if (tail === '') {
    return `it wrote nothing to ${logPath}: it was killed (SIGKILL, the out-of-memory killer) or could not write (is the disk full? df ${dirname(logPath)})`;
  }
  return `the end of ${logPath}: ${tail.split('\n').slice(-3).join(' | ')}`;
}

/**
 * Ends the record of a job whose supervisor died. Returns the state as it is
 * now (unchanged when the job already ended or its supervisor lives).
 */
export function reconcileDeadSupervisor(
  jobDir: string,
  fallback: SupervisorIdentity,
  now: Date = new Date(),
): LocalJobState | undefined {
  const state = findLocalState(jobDir);
  if (!state || isTerminalState(state.state) || isSupervisorAlive(state, fallback)) return state;
  // It may have written its final state between our read and the liveness check.
  const latest = findLocalState(jobDir);
  if (!latest || isTerminalState(latest.state)) return latest;
  const killed = killLeftoverReplicas(latest);
  const { pid } = supervisorOf(latest, fallback);
  const files = jobFiles(jobDir);
  const cancelled = existsSync(files.cancelMarker);
  const stopped = killed > 0 ? `; ${killed} replica group(s) it left were killed` : '';
  const message = cancelled
    ? `cancelled: ${readFileSync(files.cancelMarker, 'utf8').trim() || 'cancel requested'} (the supervisor had already gone${stopped})`
    : `the job's supervisor (pid ${pid ?? 'unknown'}) died before the job ended${stopped}; ${lastWords(files.supervisorLog)}`;
  for (const replica of latest.replicas) {
    if (replica.state === 'RUNNING' || replica.state === 'PENDING') {
      replica.state = 'STOPPED';
      replica.endedAt ??= now.toISOString();
    }
  }
  const ended: LocalJobState = {
    ...latest,
    state: cancelled ? 'CANCELLED' : 'FAILED',
    message,
    error: { message },
    // Not a preemption: nothing says the machine went away, and the replicas' own ends are unknown.
    ...(cancelled ? {} : { outcome: { kind: 'failed' as const, preempted: false, cause: message } }),
    endedAt: now.toISOString(),
    updatedAt: now.toISOString(),
  };
  writeLocalState(jobDir, ended);
  return ended;
}
