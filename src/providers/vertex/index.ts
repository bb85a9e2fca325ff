/**
 * The `vertex` provider: a cluster plan becomes a Vertex AI CustomJob
 * (`custom-job.ts`), submitted idempotently (`submit.ts`), read over its
 * attempts — a later attempt submitted when the job lifecycle says so
 * (`jobs.ts`) — and many jobs per ListCustomJobs (`watch.ts`); replica lines
 * come from Cloud Logging, where Vertex writes them (`logs.ts`).
 * `@google-cloud/aiplatform` loads only when a method here first talks to
 * Vertex.
 *
 * Endpoint: the regional `${region}-aiplatform.googleapis.com:443`, or
 * `endpoint` in the options, or `STRATO_VERTEX_ENDPOINT` in the environment
 * (`http://HOST:PORT` is plaintext gRPC, as the fake Vertex speaks;
 * `https://HOST:PORT` or `HOST:PORT` is TLS). A job remembers the endpoint it
 * was submitted to, so later processes find it there.
 */

import { StratoError } from '../../errors.ts';
import { parseEndpoint } from '../../internal/endpoint.ts';
import type { RetryPolicy } from '../../internal/retry.ts';
import type { ClusterPlan } from '../../strategies/plan.ts';
import { PROVIDER_CAPABILITIES } from '../capabilities.ts';
import type { JobHandle, JobStatus, LogLine, LogOptions, Provider, SubmitContext } from '../types.ts';
import { createVertexApi, type VertexApi, type VertexEndpointOptions } from './api.ts';
import { nextPollDelayMs } from './job-state.ts';
import { toJobStatus } from './job-status.ts';
import { cancelVertexJob, refreshVertexJob, startVertexAttempt, submitVertexJob } from './jobs.ts';
import { LOGGING_ENDPOINT_ENV, readVertexLogs } from './logs.ts';
import { currentAttempt, type VertexJobRecord } from './record.ts';
import { pollVertexJobs } from './watch.ts';

/** How the Vertex AI provider reaches the service. */
export interface VertexProviderOptions {
  /** Where the JobService is; default from `STRATO_VERTEX_ENDPOINT`, else the regional endpoint. */
  endpoint?: VertexEndpointOptions;
  /** Environment read for `STRATO_VERTEX_ENDPOINT`; default `process.env`. */
  env?: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
  /**
   * Pacing of `status`: callers may ask as often as they like (the job
   * lifecycle asks every 250 ms); Vertex is asked again only after
   * `nextPollDelayMs` of the job's state, times `scale` (tests use a small
   * one; 0 asks every time). Default 1.
   */
  pollScale?: number;
  /** Queue for capacity with FLEX_START (Dynamic Workload Scheduler), waiting at most `maxWaitSec`. */
  flexStart?: { maxWaitSec?: number };
  now?(): Date;
}

/** Handle data: the job record plus the endpoint it lives behind (when not the regional default). */
interface VertexHandleData extends VertexJobRecord {
  endpointUrl?: string;
}

/** Environment variable that points the Vertex client elsewhere (`http://127.0.0.1:PORT` for the fake cloud). */
export const VERTEX_ENDPOINT_ENV = 'STRATO_VERTEX_ENDPOINT';

/** The endpoint parsed once (internal/endpoint.ts), as gRPC options: `http://` adds insecure channel credentials. */
export async function parseEndpointUrl(url: string): Promise<VertexEndpointOptions> {
  const endpoint = parseEndpoint(url, VERTEX_ENDPOINT_ENV, 'http://127.0.0.1:8085');
  const out: VertexEndpointOptions = { apiEndpoint: endpoint.host, port: endpoint.port };
  if (!endpoint.tls) {
    const grpc = await import('@grpc/grpc-js');
    out.sslCreds = grpc.credentials.createInsecure();
  }
  return out;
}

function recordOf(handle: JobHandle): VertexHandleData {
  const data = handle.data as Partial<VertexHandleData>;
  if (handle.provider !== 'vertex' || data.provider !== 'vertex' || !Array.isArray(data.attempts)) {
    throw new StratoError('E_NOT_FOUND', `no Vertex job behind handle ${handle.id}`, {
      hint: 'the job record is not a Vertex one; `strato list` shows the jobs that exist',
    });
  }
  if (data.attempts.length === 0) {
    throw new StratoError('E_NOT_FOUND', `Vertex job ${handle.id} was never submitted`);
  }
  return data as VertexHandleData;
}

/**
 * The provider that runs a job as a Vertex AI CustomJob through
 * `@google-cloud/aiplatform`. Reads many jobs with one ListCustomJobs per
 * project and region; never creates a job twice (a lost create is found by
 * its label).
 */
export function createVertexProvider(options: VertexProviderOptions = {}): Provider & {
  /** Statuses of many jobs with one ListCustomJobs per project and region. */
  statusMany(handles: readonly JobHandle[]): Promise<JobStatus[]>;
} {
  const now = options.now ?? (() => new Date());
  const env = options.env ?? process.env;
  const pollScale = options.pollScale ?? 1;
  /**
   * Last status per attempt (its CustomJob name), and when Vertex may be
   * asked again. Keyed by attempt, so a handle that has moved on to a new
   * attempt is never answered from the old one's read.
   */
  const paced = new Map<string, { status: JobStatus; vertexState: string; since: number; nextAt: number }>();
  const pacingKey = (handle: JobHandle) => currentAttempt(recordOf(handle)).customJob;

  function remember(key: string, status: JobStatus, vertexState: string): void {
    const at = now().getTime();
    const previous = paced.get(key);
    const since = previous && previous.vertexState === vertexState ? previous.since : at;
    const delay = nextPollDelayMs(vertexState, at - since, pollScale);
    // An ended attempt never changes again: keep its answer, so rereading it costs nothing.
    if (delay === undefined) paced.set(key, { status, vertexState, since, nextAt: Number.POSITIVE_INFINITY });
    else if (delay <= 0) paced.delete(key);
    else paced.set(key, { status, vertexState, since, nextAt: at + delay });
  }

  function cachedStatus(handle: JobHandle): JobStatus | undefined {
    const cached = paced.get(pacingKey(handle));
    return cached && now().getTime() < cached.nextAt ? cached.status : undefined;
  }

  async function endpointFor(
    record?: VertexHandleData,
  ): Promise<{ options: VertexEndpointOptions; url?: string }> {
    const url = record ? record.endpointUrl : env[VERTEX_ENDPOINT_ENV];
    if (url) return { options: { ...(await parseEndpointUrl(url)), ...options.endpoint }, url };
    return { options: options.endpoint ?? {} };
  }

  async function withApi<T>(
    project: string,
    region: string,
    record: VertexHandleData | undefined,
    use: (api: VertexApi) => Promise<T>,
  ): Promise<T> {
    const { options: endpoint } = await endpointFor(record);
    const api = await createVertexApi(project, region, {
      ...endpoint,
      ...(options.retry ? { retry: options.retry } : {}),
    });
    try {
      return await use(api);
    } finally {
      await api.close();
    }
  }

  async function statusOf(handle: JobHandle): Promise<JobStatus> {
    const record = recordOf(handle);
    const cached = cachedStatus(handle);
    if (cached) return cached;
    return withApi(record.project, record.region, record, async (api) => {
      try {
        const vertex = await refreshVertexJob(api, record, now());
        const status = toJobStatus(record, vertex);
        remember(pacingKey(handle), status, vertex.vertexState);
        return status;
      } catch (error) {
        if (!(error instanceof StratoError) || error.code !== 'E_NOT_FOUND') throw error;
        // The CustomJob was deleted behind our back: the job has vanished, it is not running.
        return {
          state: 'FAILED',
          replicas: [],
          attempt: currentAttempt(record).attempt,
          restarts: [],
          error: { message: `CustomJob ${currentAttempt(record).customJob} no longer exists (deleted?)` },
          message: 'vanished from Vertex AI',
        };
      }
    });
  }

  return {
    name: 'vertex',
    capabilities: PROVIDER_CAPABILITIES.vertex,

    async submit(plan: ClusterPlan, context: SubmitContext): Promise<JobHandle> {
      if (plan.provider.name !== 'vertex') {
        throw new StratoError('E_INTERNAL', `a ${plan.provider.name} plan was given to the vertex provider`);
      }
      const { project, region } = plan.provider;
      const { url } = await endpointFor(undefined);
      const record = await withApi(project, region, undefined, (api) =>
        submitVertexJob(api, plan, {
          jobId: context.jobId,
          now,
          ...(options.retry ? { retry: options.retry } : {}),
          ...(options.flexStart ? { flexStart: options.flexStart } : {}),
        }),
      );
      const data: VertexHandleData = { ...record, ...(url ? { endpointUrl: url } : {}) };
      return { provider: 'vertex', id: context.jobId, data: data as unknown as Record<string, unknown> };
    },

    status: statusOf,

    async statusMany(handles) {
      const out: (JobStatus | undefined)[] = handles.map(cachedStatus);
      const due = handles.flatMap((_handle, i) => (out[i] ? [] : [i]));
      if (due.length === 0) return out as JobStatus[];
      const records = due.map((i) => recordOf(handles[i]!));
      const apis = new Map<string, Promise<VertexApi>>();
      const apiFor = (project: string, region: string) => {
        const key = `${project}/${region}`;
        if (!apis.has(key)) {
          const record = records.find((r) => r.project === project && r.region === region);
          apis.set(
            key,
            endpointFor(record).then(({ options: endpoint }) =>
              createVertexApi(project, region, {
                ...endpoint,
                ...(options.retry ? { retry: options.retry } : {}),
              }),
            ),
          );
        }
        return apis.get(key)!;
      };
      try {
        const statuses = await pollVertexJobs(apiFor, records, now);
        statuses.forEach((vertex, k) => {
          const status = toJobStatus(records[k]!, vertex);
          remember(pacingKey(handles[due[k]!]!), status, vertex.vertexState);
          out[due[k]!] = status;
        });
        return out as JobStatus[];
      } finally {
        await Promise.all([...apis.values()].map(async (api) => (await api).close()));
      }
    },

    async startAttempt(handle, attempt, reason) {
      const record = recordOf(handle);
      const next = await withApi(record.project, record.region, record, (api) =>
        startVertexAttempt(api, record, attempt, reason, {
          now: now(),
          ...(options.retry ? { retry: options.retry } : {}),
        }),
      );
      const data: VertexHandleData = { ...record, ...next };
      return { ...handle, data: data as unknown as Record<string, unknown> };
    },

    reattachOptions() {
      // The endpoint travels in each handle (`endpointUrl`); these are the pacing and retry knobs.
      return {
        pollScale,
        ...(options.retry ? { retry: { ...options.retry, sleep: undefined } } : {}),
        ...(options.flexStart ? { flexStart: options.flexStart } : {}),
        ...(env[VERTEX_ENDPOINT_ENV] || env[LOGGING_ENDPOINT_ENV]
          ? {
              env: Object.fromEntries(
                [VERTEX_ENDPOINT_ENV, LOGGING_ENDPOINT_ENV].flatMap((name) =>
                  env[name] ? [[name, env[name]]] : [],
                ),
              ),
            }
          : {}),
      };
    },

    logs(handle: JobHandle, logOptions: LogOptions = {}): AsyncIterable<LogLine> {
      // Replica output is in Cloud Logging, where Vertex writes it (logs.ts).
      return readVertexLogs(recordOf(handle), logOptions, { env, status: () => statusOf(handle) });
    },

    async cancel(handle) {
      const record = recordOf(handle);
      paced.delete(pacingKey(handle));
      await withApi(record.project, record.region, record, (api) => cancelVertexJob(api, record));
    },
  };
}

/** The registry's entry point. */
export const createProvider = createVertexProvider;
