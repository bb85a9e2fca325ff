/**
 * An attempt's status from two reads: what the cloud says of its machines
 * (creating, running, gone) and what its control folder holds (boots, logs,
 * exit records, the cancel marker). Pure. The facts it reports are the ones
 * the restart rule (`src/jobs/restart-policy.ts`) reads:
 * - every must-succeed replica exited 0 → succeeded;
 * - a replica exited 143 or 42 (TensorFlow's preemption-checkpoint exit
 *   codes), or its VM rebooted under it, or its machine is gone (TERMINATED,
 *   PREEMPTED, deleted) without an exit record → failed, preempted;
 * - any other non-zero exit → failed, not preempted, with its last lines.
 * A preemption wins over a crash seen at the same look: when one VM of a
 * cluster goes, its peers often die of the broken collective.
 */

import type { ExitRecord } from '../../agent/layout.ts';
import type { JobStatus, ReplicaState, ReplicaStatus } from '../types.ts';
import type { ControlSnapshot } from './control.ts';
import type { MachineReplica } from './replicas.ts';

/** What the cloud says of the machine a replica runs on. */
export interface MachineFact {
  state: 'creating' | 'running' | 'gone';
  /** Its name, and when gone, the cloud's word for it (`TERMINATED`, `PREEMPTED`, `deleted`). */
  machine: string;
  detail?: string;
  /** Gone because the job's time limit stopped it (what passed): a failure, not a preemption. */
  timedOut?: string;
}

/** Exit codes that mean "preempted, checkpoint saved" (TF's PreemptionCheckpointHandler: 143 on GCE, 42 elsewhere). */
export const PREEMPTED_EXIT_CODES: ReadonlySet<number> = new Set([143, 42]);

export interface AttemptInput {
  attempt: number;
  replicas: readonly MachineReplica[];
  machineOf(replica: MachineReplica): MachineFact;
  control: ControlSnapshot;
  restarts: JobStatus['restarts'];
  /** Why nothing runs yet, when the cloud says (e.g. a queued resource waiting for capacity). */
  waiting?: string;
  startedAt?: string;
}

function exitState(exit: ExitRecord): ReplicaState {
  return isCleanExit(exit) ? 'SUCCEEDED' : 'FAILED';
}

/** Exited 0 by itself: a replica whose VM rebooted under it did not finish, whatever code it reports. */
function isCleanExit(exit: ExitRecord | undefined): boolean {
  return exit !== undefined && exit.exitCode === 0 && exit.rebooted !== true;
}

function isPreemptedExit(exit: ExitRecord): boolean {
  return exit.rebooted === true || PREEMPTED_EXIT_CODES.has(exit.exitCode);
}

function exitCause(exit: ExitRecord): string {
  if (exit.rebooted) return `${exit.replica}'s machine rebooted while it ran`;
  return `${exit.replica} exited with code ${exit.exitCode}`;
}

/** The replica's machine ran the startup script (a boot record under its name) or the replica wrote a log. */
function hasStarted(replica: MachineReplica, fact: MachineFact, control: ControlSnapshot): boolean {
  if (control.logs.has(replica.name)) return true;
  return [...control.booted].some((host) => host === replica.name || host.startsWith(fact.machine));
}

export function attemptStatus(input: AttemptInput): JobStatus {
  const { control } = input;
  const replicas: ReplicaStatus[] = [];
  const gone: { replica: MachineReplica; fact: MachineFact }[] = [];
  let waitingFor = 0;
  for (const replica of input.replicas) {
    const exit = control.exits.get(replica.name);
    const fact = input.machineOf(replica);
    const status: ReplicaStatus = {
      name: replica.name,
      role: replica.role,
      index: replica.index,
      state: 'PENDING',
    };
    if (exit) {
      status.state = exitState(exit);
      status.exitCode = exit.exitCode;
      status.endedAt = exit.endedAt;
    } else if (fact.state === 'gone') {
      status.state = control.cancelled ? 'STOPPED' : 'FAILED';
      gone.push({ replica, fact });
    } else if (fact.state === 'running' && !replica.runsProgram) {
      status.state = 'IDLE';
    } else if (fact.state === 'running' && hasStarted(replica, fact, control)) {
      status.state = 'RUNNING';
    } else {
      waitingFor++;
    }
    replicas.push(status);
  }
  const base = {
    replicas,
    attempt: input.attempt,
    restarts: input.restarts,
    ...(input.startedAt ? { startedAt: input.startedAt } : {}),
  };

  if (control.cancelled) {
    const message = `cancelled: ${control.cancelled.reason}`;
    for (const r of replicas)
      if (r.state === 'RUNNING' || r.state === 'PENDING' || r.state === 'IDLE') r.state = 'STOPPED';
    return {
      ...base,
      state: 'CANCELLED',
      message,
      error: { message },
      ...(control.cancelled.at ? { endedAt: control.cancelled.at } : {}),
    };
  }

  const exits = input.replicas.flatMap((r) => control.exits.get(r.name) ?? []);
  const lastEnd = exits
    .map((e) => e.endedAt)
    .sort()
    .at(-1);
  const mustSucceed = input.replicas.filter((r) => r.exitPolicy === 'must-succeed');
  if (mustSucceed.length > 0 && mustSucceed.every((r) => isCleanExit(control.exits.get(r.name)))) {
    return {
      ...base,
      state: 'SUCCEEDED',
      outcome: { kind: 'succeeded' },
      message: 'succeeded',
      ...(lastEnd ? { endedAt: lastEnd } : {}),
    };
  }

  const timedOut = gone.find((g) => g.fact.timedOut);
  if (timedOut) {
    const cause = `${timedOut.replica.name}'s machine ${timedOut.fact.machine} was stopped: ${timedOut.fact.timedOut}`;
    return {
      ...base,
      state: 'FAILED',
      outcome: { kind: 'failed', preempted: false, cause, replica: timedOut.replica.name },
      error: { message: cause, replica: timedOut.replica.name },
      message: `failed: ${cause}`,
    };
  }

  const preemptedExit = exits.find(isPreemptedExit);
  const vanished = gone[0];
  if (preemptedExit || vanished) {
    const cause = preemptedExit
      ? exitCause(preemptedExit)
      : `${vanished!.replica.name}'s machine ${vanished!.fact.machine} is ${vanished!.fact.detail ?? 'gone'} and the replica left no exit record`;
    const replica = preemptedExit?.replica ?? vanished!.replica.name;
    return {
      ...base,
      state: 'FAILED',
      outcome: {
        kind: 'failed',
        preempted: true,
        cause,
        replica,
        ...(preemptedExit ? { exitCode: preemptedExit.exitCode } : {}),
      },
      error: {
        message: cause,
        replica,
        ...(preemptedExit ? { exitCode: preemptedExit.exitCode } : {}),
        ...(preemptedExit?.lastLines ? { lastLines: preemptedExit.lastLines } : {}),
      },
      message: `preempted: ${cause}`,
      ...(lastEnd ? { endedAt: lastEnd } : {}),
    };
  }

  const crashed = exits.find((e) => !isCleanExit(e));
  if (crashed) {
    const cause = exitCause(crashed);
    return {
      ...base,
      state: 'FAILED',
      outcome: {
        kind: 'failed',
        preempted: false,
        cause,
        replica: crashed.replica,
        exitCode: crashed.exitCode,
      },
      error: {
        message: cause,
        replica: crashed.replica,
        exitCode: crashed.exitCode,
        ...(crashed.lastLines ? { lastLines: crashed.lastLines } : {}),
      },
      message: `failed: ${cause}`,
      ...(lastEnd ? { endedAt: lastEnd } : {}),
    };
  }

  if (waitingFor === 0)
    return { ...base, state: 'RUNNING', message: `running on ${input.replicas.length} machine(s)` };
  return {
    ...base,
    state: 'QUEUED',
    message: input.waiting ?? `waiting for ${waitingFor} of ${input.replicas.length} replica(s) to start`,
  };
}
