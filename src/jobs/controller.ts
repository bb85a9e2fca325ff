/**
 * The per-job controller: the one place a job's next attempt is started.
 * `reconcileJob` looks at a status just read; when the current attempt
 * ended in a failure the restart rule (`restart-policy.ts`) says to
 * restart, it takes the job's lock, reads again and asks the provider to
 * start the next attempt (idempotent on every provider), then records the
 * new handle. `strato submit` leaves a detached controller process
 * (`controller-main.ts`) that runs `runController` (`controller-loop.ts`:
 * status, reconcile, until the job ends) — so a cloud job restarts with no `strato` command
 * running. Any other reader (`Job.status`, `strato watch`, `strato list`)
 * reconciles too when that controller is not alive (machine slept, process
 * killed); while it is, readers only report "restarting".
 */

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findJson } from '../internal/atomic-json.ts';
import { isProcessAlive, signalProcess } from '../providers/local/proc.ts';
import { isTerminalState, type JobStatus, type Provider } from '../providers/types.ts';
import type { ProviderName } from '../spec/schema.ts';
import { attemptRunningSec, costCapReason } from './cost-cap.ts';
import { lockJob, tryLockJob } from './job-lock.ts';
import { decideRestart, type RestartDecision } from './restart-policy.ts';
import type { JobRecord, JobStore } from './store.ts';

export const controllerFiles = (jobDir: string) => ({
  /** Who the controller is (pid, start time) and how to build its provider. */
  state: join(jobDir, 'controller.json'),
  log: join(jobDir, 'controller.log'),
  /** Written by a cancel: no attempt starts after it. */
  stop: join(jobDir, 'stop-requested'),
  /** Written once the provider released the ended job's machines (`Provider.release`). */
  released: join(jobDir, 'machines-released'),
  /** Written when a release failed: the job is stored as ended, and readers still look at it to retry. */
  releaseFailed: join(jobDir, 'machines-release-failed'),
});

/** An ended job whose machines are still to be released (the last try failed): readers look at it again. */
export function releasePending(jobDir: string): boolean {
  const files = controllerFiles(jobDir);
  return existsSync(files.releaseFailed) && !existsSync(files.released);
}

export interface ControllerRecord {
  pid?: number;
  startTicks?: number;
  provider: ProviderName;
  /** `provider.reattachOptions()` of the submitting process. */
  providerOptions: Record<string, unknown>;
  home: string;
  jobId: string;
}

export function findControllerRecord(jobDir: string): ControllerRecord | undefined {
  try {
    return findJson<ControllerRecord>(controllerFiles(jobDir).state);
  } catch {
    return undefined;
  }
}

export function isControllerAlive(jobDir: string): boolean {
  const record = findControllerRecord(jobDir);
  return record?.pid !== undefined && isProcessAlive(record.pid, record.startTicks);
}

export function requestStop(jobDir: string, reason: string): void {
  writeFileSync(controllerFiles(jobDir).stop, `${reason}\n`);
}

/** The reason a cancel gave, when the job was cancelled through the lifecycle. */
export function stopRequested(jobDir: string): string | undefined {
  const path = controllerFiles(jobDir).stop;
  if (!existsSync(path)) return undefined;
  try {
    return readFileSync(path, 'utf8').trim() || 'cancel requested';
  } catch {
    return 'cancel requested';
  }
}

/** What the restart rule says about this status; undefined while the attempt runs or after a success. */
export function restartDecisionFor(record: JobRecord, status: JobStatus): RestartDecision | undefined {
  if (status.state !== 'FAILED' || status.outcome?.kind !== 'failed') return undefined;
  return decideRestart(status.outcome, status.attempt - 1, record.maxRestarts ?? 0);
}

/**
 * The job as the lifecycle sees it: an attempt that failed and is about to
 * be restarted is a job still RUNNING ("restarting as attempt 2 of 3"); one
 * that is not restarted says why in its error; one cancelled between two
 * attempts is CANCELLED.
 */
export function lifecycleView(record: JobRecord, status: JobStatus): JobStatus {
  const capReached = record.cost?.capReached;
  if (capReached !== undefined && status.state === 'CANCELLED') {
    const message = `cancelled: ${capReached}`;
    return { ...status, message, error: { message } };
  }
  const decision = restartDecisionFor(record, status);
  if (!decision) return status;
  const stop = stopRequested(record.jobDir);
  if (stop !== undefined && decision.restart) {
    const message = `cancelled: ${stop} (between attempt ${status.attempt} and the next)`;
    return { ...status, state: 'CANCELLED', message, error: { message } };
  }
  if (decision.restart) {
    const { error: _error, endedAt: _endedAt, ...running } = status;
    return { ...running, state: 'RUNNING', message: decision.message };
  }
  return { ...status, error: { ...status.error, message: decision.message } };
}

export interface ReconcileOptions {
  /** The status just read (e.g. by one `statusMany` for many jobs); read here when absent. */
  status?: JobStatus;
  /** The job's own controller calls with true; others reconcile only when it is not alive. */
  asController?: boolean;
  /** The clock the cost cap is checked with (tests); default the system's. */
  now?: () => Date;
}

/**
 * Brings the job forward when its current attempt needs a successor, stores
 * what it sees, and returns it. Safe to call from any number of processes
 * at once: the lock and the provider's idempotent `startAttempt` make one
 * next attempt, whoever gets there first.
 */
export async function reconcileJob(
  record: JobRecord,
  provider: Provider,
  store: JobStore,
  options: ReconcileOptions = {},
): Promise<{ record: JobRecord; status: JobStatus }> {
  let status = options.status ?? (await provider.status(record.handle));
  const inCharge = () => options.asController || !isControllerAlive(record.jobDir);
  const decision = restartDecisionFor(record, status);
  const going = !isTerminalState(status.state) || decision?.restart === true;
  const capped = going ? costCapReason(record, status, options.now?.() ?? new Date()) : undefined;
  if (capped !== undefined && inCharge()) {
    ({ record, status } = await cancelForCost(record, provider, store, capped));
  } else if (decision?.restart && stopRequested(record.jobDir) === undefined && inCharge()) {
    const lock = tryLockJob(record.jobDir);
    if (lock) {
      try {
        const started = await startNextAttempt(record.id, provider, store);
        if (started) ({ record, status } = started);
      } finally {
        lock.release();
      }
    }
  }
  const view = lifecycleView(record, status);
  if (isTerminalState(view.state)) await releaseOnce(record, provider);
  return { record: store.saveStatus(record.id, view), status: view };
}

/**
 * An ended job's machines are deleted once (`Provider.release`), by
 * whichever reader sees the end first; a failed release is tried again by
 * the next reader, and never hides the job's state. The failure is marked
 * in the job folder: the job is stored as ended, and without the mark the
 * readers that skip ended jobs (`refreshJobs`: wait, list, watch) would
 * never look again — the machines would run on.
 */
async function releaseOnce(record: JobRecord, provider: Provider): Promise<void> {
  if (!provider.release) return;
  const files = controllerFiles(record.jobDir);
  if (existsSync(files.released)) return;
  try {
    await provider.release(record.handle);
    writeFileSync(files.released, `${new Date().toISOString()}\n`);
  } catch (error) {
    try {
      writeFileSync(files.releaseFailed, `${(error as Error).message}\n`);
    } catch {
      // The job folder is gone (removed by hand): nothing is left to mark.
    }
    process.stderr.write(
      `strato: releasing the machines of ${record.id} failed (tried again on the next look): ${(error as Error).message}\n`,
    );
  }
}

/** Records why (so every later view says it), then cancels through the lifecycle: no attempt starts after it. */
async function cancelForCost(
  record: JobRecord,
  provider: Provider,
  store: JobStore,
  reason: string,
): Promise<{ record: JobRecord; status: JobStatus }> {
  let marking = false;
  const marked = store.update(record.id, (fresh) => {
    // Another reader got there first: its cancel is under way.
    if (fresh.cost?.capReached !== undefined) return fresh;
    marking = true;
    return { ...fresh, cost: { ...fresh.cost!, capReached: reason } };
  });
  if (marking) {
    try {
      await cancelJob(marked, provider, store, { reason, stopController: false });
    } catch (error) {
      // Not cancelled (the service did not answer): unmarked, so the next look tries again.
      store.update(record.id, (fresh) => {
        const { capReached: _capReached, ...cost } = fresh.cost ?? marked.cost!;
        return { ...fresh, cost };
      });
      throw error;
    }
  }
  const stored = store.getJob(record.id);
  return { record: stored, status: await provider.status(stored.handle) };
}

/** Under the lock: reads the stored record and its status again, and starts the next attempt if still due. */
async function startNextAttempt(
  id: string,
  provider: Provider,
  store: JobStore,
): Promise<{ record: JobRecord; status: JobStatus } | undefined> {
  const fresh = store.getJob(id);
  if (stopRequested(fresh.jobDir) !== undefined) return undefined;
  const status = await provider.status(fresh.handle);
  const decision = restartDecisionFor(fresh, status);
  if (!decision?.restart) return { record: fresh, status };
  const handle = await provider.startAttempt(fresh.handle, status.attempt + 1, decision.message);
  const endedSec = attemptRunningSec(status, new Date());
  const updated = store.update(id, (latest) => ({
    ...latest,
    handle,
    // The ended attempt's running time, for the cost cap (the next attempt's status starts from zero).
    ...(latest.cost
      ? { cost: { ...latest.cost, endedAttemptsSec: (latest.cost.endedAttemptsSec ?? 0) + endedSec } }
      : {}),
  }));
  return { record: updated, status: await provider.status(handle) };
}

/**
 * Cancels a job through the lifecycle: no attempt starts after this (the
 * stop marker), the controller is told to end, and the attempt to cancel
 * is read under the job's lock — so a restart in flight finishes first and
 * its new attempt is the one cancelled. Returns the record as stored then.
 */
export async function cancelJob(
  record: JobRecord,
  provider: Provider,
  store: JobStore,
  options: { reason?: string; stopController?: boolean } = {},
): Promise<JobRecord> {
  const reason = options.reason ?? 'cancelled by request';
  try {
    requestStop(record.jobDir, reason);
  } catch {
    // No job folder left (removed by hand): there is no controller to tell either.
  }
  if (options.stopController !== false) {
    const controller = findControllerRecord(record.jobDir);
    if (controller?.pid !== undefined && isProcessAlive(controller.pid, controller.startTicks)) {
      signalProcess(controller.pid, 'SIGTERM');
    }
  }
  const lock = await lockJob(record.jobDir).catch(() => undefined);
  try {
    const fresh = store.findJob(record.id) ?? record;
    await provider.cancel(fresh.handle, options.reason);
    return fresh;
  } finally {
    lock?.release();
  }
}
