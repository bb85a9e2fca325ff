/**
 * The job store: one folder per job under `$STRATO_HOME/jobs/<id>/`, with
 * `job.json` — a durable, atomically written record any later process reads
 * to reattach (status, logs, metrics, cancel). Other tools read `runDir`
 * from it (`strato metrics <job id>`). Providers keep their own files
 * beside it (the local provider's supervisor state and replica logs).
 */

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StratoError } from '../errors.ts';
import { writeJsonAtomic } from '../internal/atomic-json.ts';
import { stratoHome } from '../internal/home.ts';
import type { JobHandle, JobState, JobStatus } from '../providers/types.ts';
import { isTerminalState } from '../providers/types.ts';
import type { ProviderName, Strategy } from '../spec/schema.ts';
import { isWellFormedJobId } from './ids.ts';
import { type JobLock, tryLockFile } from './job-lock.ts';
import { type DamagedJob, findDamage, readJobRecord } from './record-schema.ts';

export interface JobRecord {
  version: 1;
  id: string;
  /** The spec's `name`. */
  name: string;
  provider: ProviderName;
  strategy: Strategy;
  /** Last known state (refreshed whenever anyone asks the provider). */
  state: JobState;
  /** The run dir URI: `model/`, `checkpoints/`, `logs/` (TensorBoard). */
  runDir: string;
  /** The job's own folder (replica logs, provider files). */
  jobDir: string;
  specFile?: string;
  replicaCount: number;
  /** `scheduling.maxRestarts`: how many times the lifecycle restarts a preempted job. */
  maxRestarts?: number;
  /** The plan's list price per hour (absent on local, or when a machine has no price) and the cost cap. */
  cost?: JobCost;
  createdAt: string;
  updatedAt: string;
  endedAt?: string;
  handle: JobHandle;
  /** Last known full status. */
  status?: JobStatus;
}

/** What the lifecycle keeps `scheduling.maxCostUsd` with (see `cost-cap.ts`). */
export interface JobCost {
  /** USD per hour of the capacity the job runs on (spot or on-demand), from the catalog's list prices. */
  hourlyUsd: number;
  /** `scheduling.maxCostUsd`. */
  maxCostUsd?: number;
  /** Running seconds of the attempts that have ended (the current one is counted from its status). */
  endedAttemptsSec?: number;
  /** Set once the cap was reached: the reason the job was cancelled. */
  capReached?: string;
}

export interface JobStore {
  /** `$STRATO_HOME/jobs`. */
  readonly root: string;
  jobDir(id: string): string;
  /** Creates the job's folder (for the provider to use before the record exists). */
  createJobDir(id: string): string;
  save(record: JobRecord): void;
  findJob(id: string): JobRecord | undefined;
  /** The record, or E_NOT_FOUND naming the ids that exist. */
  getJob(id: string): JobRecord;
  /** Every record, newest first. */
  list(): JobRecord[];
  /** Every record, newest first, and every job folder whose record is damaged (never hidden). */
  scan(): { records: JobRecord[]; damaged: DamagedJob[] };
  /**
   * Changes the stored record: `change` gets it as it is on disk and returns
   * the new one (or the same object: nothing is written). Read and write
   * happen under the record lock, so two processes changing one job (a
   * watcher storing a status, the controller storing its next attempt's
   * handle) never undo each other's change.
   */
  update(id: string, change: (record: JobRecord) => JobRecord): JobRecord;
  /**
   * Records a status just read (a terminal state is never overwritten by a
   * live one). The stored handle is kept as it is on disk: only the job's
   * controller changes it, under the job's lock, when it starts an attempt.
   */
  saveStatus(id: string, status: JobStatus, now?: Date): JobRecord;
}

const RECORD_LOCK_FILE = 'job.json.lock';
/** A record change takes milliseconds; a holder keeping the lock this long is stuck, not busy. */
const RECORD_LOCK_WAIT_MS = 10_000;

/** The record lock, waited for: each holder keeps it only for one read and one write. */
function lockRecord(jobDir: string): JobLock {
  const deadline = Date.now() + RECORD_LOCK_WAIT_MS;
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    const lock = tryLockFile(join(jobDir, RECORD_LOCK_FILE));
    if (lock) return lock;
    if (Date.now() >= deadline) {
      throw new StratoError(
        'E_CONFLICT',
        `another process holds the record lock of ${jobDir} (${RECORD_LOCK_FILE})`,
        {
          retryable: true,
          hint: 'a process changing the job record is stuck; if none runs any more, remove that file',
        },
      );
    }
    // The store's callers are synchronous: a blocking pause of a few milliseconds, no busy loop.
    Atomics.wait(pause, 0, 0, 5);
  }
}

const RECORD_FILE = 'job.json';

export function createJobStore(home: string = stratoHome()): JobStore {
  const root = join(home, 'jobs');
  const recordPath = (id: string) => join(root, id, RECORD_FILE);

  const store: JobStore = {
    root,
    jobDir: (id) => join(root, id),
    createJobDir(id) {
      const dir = join(root, id);
      // 0700: the job's files may hold secrets (see writeJsonAtomic).
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      return dir;
    },
    save(record) {
      writeJsonAtomic(recordPath(record.id), record);
    },
    findJob(id) {
      if (!isWellFormedJobId(id)) return undefined;
      return readJobRecord(recordPath(id), id, join(root, id));
    },
    getJob(id) {
      const record = store.findJob(id);
      if (record) return record;
      const ids = store.list().map((r) => r.id);
      throw new StratoError('E_NOT_FOUND', `no job "${id}"`, {
        hint:
          ids.length === 0
            ? `there are no jobs in ${root}; start one with \`strato run FILE\``
            : `jobs that exist: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? `, … (${ids.length} in all; \`strato list\`)` : ''}`,
      });
    },
    list() {
      return store.scan().records;
    },
    scan() {
      if (!existsSync(root)) return { records: [], damaged: [] };
      const records: JobRecord[] = [];
      const damaged: DamagedJob[] = [];
      for (const entry of readdirSync(root)) {
        if (!isWellFormedJobId(entry)) continue;
        // A damaged record is not a reason to hide the others, nor to hide itself.
        const problem = findDamage(join(root, entry), entry, () => {
          const record = readJobRecord(recordPath(entry), entry, join(root, entry));
          if (record) records.push(record);
        });
        if (problem) damaged.push(problem);
      }
      records.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id));
      return { records, damaged };
    },
    update(id, change) {
      store.getJob(id); // E_NOT_FOUND (naming the jobs that exist) before any lock file is made
      const lock = lockRecord(join(root, id));
      try {
        const record = store.getJob(id);
        const updated = change(record);
        if (updated !== record) store.save(updated);
        return updated;
      } finally {
        lock.release();
      }
    },
    saveStatus(id, status, now = new Date()) {
      const unchanged = (record: JobRecord) =>
        (isTerminalState(record.state) && !isTerminalState(status.state)) ||
        // Read before the job's controller stored its next attempt: that attempt's status stays.
        status.attempt < (record.status?.attempt ?? 0) ||
        // Most watch ticks change nothing (the provider answered from its last read): skip the write.
        (record.state === status.state && JSON.stringify(record.status) === JSON.stringify(status));
      // Checked before the lock too: the common tick takes no lock and writes nothing.
      const stored = store.getJob(id);
      if (unchanged(stored)) return stored;
      return store.update(id, (record) =>
        unchanged(record)
          ? record
          : {
              ...record,
              state: status.state,
              status,
              updatedAt: now.toISOString(),
              ...(status.endedAt ? { endedAt: status.endedAt } : {}),
            },
      );
    },
  };
  return store;
}
