/**
 * The fake's CustomJobs, in memory. Ids are numeric strings that only grow,
 * so a page token (the last id of a page) stays valid while jobs are created
 * and deleted between pages.
 */

import type { CustomJobMessage, TimestampMessage } from './messages.ts';
import { timestampOf } from './messages.ts';

export interface StoredJob {
  id: string;
  /** `projects/P/locations/L/customJobs/ID` */
  name: string;
  parent: string;
  location: string;
  message: CustomJobMessage;
}

/** Vertex job ids are 19-digit numbers; start there so ids look like the real ones. */
const FIRST_ID = 1_000_000_000_000_000_000n;

export class JobStore {
  private readonly jobs = new Map<string, StoredJob>();
  private nextId = FIRST_ID;

  private readonly now: () => Date;

  constructor(now: () => Date) {
    this.now = now;
  }

  create(parent: string, job: CustomJobMessage): StoredJob {
    const id = String(this.nextId++);
    const name = `${parent}/customJobs/${id}`;
    const created = timestampOf(this.now());
    const stored: StoredJob = {
      id,
      name,
      parent,
      location: parent.split('/')[3] ?? '',
      message: {
        ...structuredClone(job),
        name,
        state: 'JOB_STATE_QUEUED',
        createTime: created,
        updateTime: created,
      },
    };
    this.jobs.set(name, stored);
    return stored;
  }

  get(name: string): StoredJob | undefined {
    return this.jobs.get(name);
  }

  delete(name: string): void {
    this.jobs.delete(name);
  }

  all(): StoredJob[] {
    return [...this.jobs.values()];
  }

  /** Jobs under `parent` in creation order, after the job with id `afterId`. */
  listAfter(parent: string, afterId: string | undefined): StoredJob[] {
    const after = afterId === undefined ? undefined : BigInt(afterId);
    return this.all().filter((j) => j.parent === parent && (after === undefined || BigInt(j.id) > after));
  }

  /** Moves a job to a new state, stamping update (and start/end) times. */
  setState(job: StoredJob, state: string, error?: { code: number; message: string }): void {
    const stamp: TimestampMessage = timestampOf(this.now());
    job.message.state = state;
    job.message.updateTime = stamp;
    if (state === 'JOB_STATE_RUNNING' && !job.message.startTime) job.message.startTime = stamp;
    if (isTerminal(state)) job.message.endTime = stamp;
    if (error) job.message.error = error;
  }
}

export const TERMINAL_STATES = new Set([
  'JOB_STATE_SUCCEEDED',
  'JOB_STATE_FAILED',
  'JOB_STATE_CANCELLED',
  'JOB_STATE_EXPIRED',
  'JOB_STATE_PARTIALLY_SUCCEEDED',
]);

export function isTerminal(state: string | undefined): boolean {
  return state !== undefined && TERMINAL_STATES.has(state);
}
