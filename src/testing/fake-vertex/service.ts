/**
 * The fake JobService's behaviour, independent of transport: the gRPC
 * handlers and the REST gateway (for gcloud) both call it. Errors are
 * `RpcError`s carrying the gRPC status the real service answers with.
 */

import { status } from '@grpc/grpc-js';
import type { VertexFaults } from './faults.ts';
import { FilterError, parseJobFilter } from './filter.ts';
import { JobRun, type JobRunDeps } from './job-run.ts';
import { isTerminal, JobStore, type StoredJob } from './job-store.ts';
import {
  type CreateCustomJobRequest,
  type CustomJobMessage,
  dateOf,
  type ListCustomJobsRequest,
  type OperationMessage,
} from './messages.ts';
import { DELETE_METADATA_TYPE, OperationStore } from './operations.ts';
import { formatViolations, validateCreateCustomJob } from './validate.ts';

export class RpcError extends Error {
  readonly code: status;

  constructor(code: status, message: string) {
    super(message);
    this.code = code;
  }
}

/** ListCustomJobs page size when the request gives none, and the most it returns. */
const DEFAULT_PAGE_SIZE = 100;
const MAX_PAGE_SIZE = 1000;

const PARENT_PATTERN = /^projects\/[^/]+\/locations\/[^/]+$/;
const JOB_NAME_PATTERN = /^projects\/[^/]+\/locations\/[^/]+\/customJobs\/[^/]+$/;

export interface ServiceDeps extends Omit<JobRunDeps, 'store'> {
  now(): Date;
}

export class FakeJobService {
  readonly store: JobStore;
  readonly operations = new OperationStore();
  private readonly runs = new Map<string, JobRun>();

  private readonly deps: ServiceDeps;

  constructor(deps: ServiceDeps) {
    this.deps = deps;
    this.store = new JobStore(deps.now);
  }

  get faults(): VertexFaults {
    return this.deps.faults;
  }

  create(request: CreateCustomJobRequest): CustomJobMessage {
    const violations = validateCreateCustomJob(request);
    if (violations.length > 0) throw new RpcError(status.INVALID_ARGUMENT, formatViolations(violations));
    const job = this.store.create(request.parent!, request.customJob!);
    const run = new JobRun(job, { ...this.deps, store: this.store });
    this.runs.set(job.name, run);
    run.start();
    return snapshot(job);
  }

  get(name: string | undefined): CustomJobMessage {
    return snapshot(this.find(name));
  }

  list(request: ListCustomJobsRequest): { customJobs: CustomJobMessage[]; nextPageToken: string } {
    if (!PARENT_PATTERN.test(request.parent ?? '')) {
      throw new RpcError(
        status.INVALID_ARGUMENT,
        `"${request.parent}" is not of the form projects/*/locations/*.`,
      );
    }
    let matches: (job: StoredJob) => boolean;
    try {
      const predicate = parseJobFilter(request.filter);
      matches = (job) => predicate(filterView(job));
    } catch (error) {
      if (!(error instanceof FilterError)) throw error;
      throw new RpcError(status.INVALID_ARGUMENT, `Invalid filter "${request.filter}": ${error.message}`);
    }
    const token = request.pageToken || undefined;
    if (token !== undefined && !/^\d+$/.test(token)) {
      throw new RpcError(status.INVALID_ARGUMENT, `Invalid page token "${token}".`);
    }
    const size = Math.min(
      request.pageSize && request.pageSize > 0 ? request.pageSize : DEFAULT_PAGE_SIZE,
      MAX_PAGE_SIZE,
    );
    const candidates = this.store.listAfter(request.parent!, token).filter(matches);
    const page = candidates.slice(0, size);
    const more = candidates.length > size;
    return { customJobs: page.map(snapshot), nextPageToken: more ? page.at(-1)!.id : '' };
  }

  cancel(name: string | undefined): void {
    const job = this.find(name);
    if (isTerminal(job.message.state)) {
      throw new RpcError(
        status.FAILED_PRECONDITION,
        `CustomJob ${job.name} is in state ${job.message.state} and cannot be cancelled.`,
      );
    }
    this.runs.get(job.name)?.cancel();
  }

  delete(name: string | undefined): OperationMessage {
    const job = this.find(name);
    if (!isTerminal(job.message.state)) {
      throw new RpcError(
        status.FAILED_PRECONDITION,
        `CustomJob ${job.name} is in state ${job.message.state}; cancel it before deleting it.`,
      );
    }
    this.store.delete(job.name);
    this.runs.delete(job.name);
    return this.operations.create(job.name, DELETE_METADATA_TYPE);
  }

  getOperation(name: string | undefined): OperationMessage {
    const operation = this.operations.poll(name ?? '');
    if (!operation) throw new RpcError(status.NOT_FOUND, `Operation ${name} is not found.`);
    return operation;
  }

  /** The run behind a job, by resource name or id (tests and fault injection). */
  runOf(nameOrId: string): JobRun | undefined {
    const direct = this.runs.get(nameOrId);
    if (direct) return direct;
    return [...this.runs.values()].find((r) => r.job.id === nameOrId);
  }

  allRuns(): JobRun[] {
    return [...this.runs.values()];
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.runs.values()].map((run) => run.dispose()));
  }

  private find(name: string | undefined): StoredJob {
    if (!JOB_NAME_PATTERN.test(name ?? '')) {
      throw new RpcError(
        status.INVALID_ARGUMENT,
        `"${name}" is not of the form projects/*/locations/*/customJobs/*.`,
      );
    }
    const job = this.store.get(name!);
    if (!job) throw new RpcError(status.NOT_FOUND, `CustomJob ${name} is not found.`);
    return job;
  }
}

/** A copy of the stored message, so callers never alias the fake's state. */
function snapshot(job: StoredJob): CustomJobMessage {
  return structuredClone(job.message);
}

function isoOf(timestamp: CustomJobMessage['createTime']): string | undefined {
  return dateOf(timestamp)?.toISOString();
}

function filterView(job: StoredJob) {
  const m = job.message;
  return {
    displayName: m.displayName,
    state: m.state,
    labels: m.labels,
    createTime: isoOf(m.createTime),
    updateTime: isoOf(m.updateTime),
    startTime: isoOf(m.startTime),
    endTime: isoOf(m.endTime),
  };
}
