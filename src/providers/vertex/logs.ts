/**
 * A Vertex job's replica lines, read from Cloud Logging through
 * `@google-cloud/logging` (loaded on first use). Vertex writes each
 * replica's output as entries on the `ml_job` monitored resource labelled
 * with the CustomJob id and the replica's task name; the filter is the one
 * `gcloud ai custom-jobs stream-logs` sends (its command_lib/ai/log_util.py):
 * `resource.type="ml_job" AND resource.labels.job_id="ID"
 * [AND resource.labels.task_name="workerpool0-0"]` — over every attempt's
 * CustomJob, so a restarted job's lines read as one story, ordered by time.
 *
 * Endpoint: `logging.googleapis.com:443`, or `STRATO_LOGGING_ENDPOINT`
 * (`http://HOST:PORT` is plaintext gRPC, as the fake Cloud Logging of
 * `strato fake-cloud` speaks).
 */

import type { Logging } from '@google-cloud/logging';
import { StratoError } from '../../errors.ts';
import { parseEndpoint } from '../../internal/endpoint.ts';
import { GrpcCode, isMissingGoogleCredentials } from '../../internal/google-status.ts';
import { sleep } from '../../internal/sleep.ts';
import { isTerminalState, type JobStatus, type LogLine, type LogOptions } from '../types.ts';
import type { VertexJobRecord } from './record.ts';

export const LOGGING_ENDPOINT_ENV = 'STRATO_LOGGING_ENDPOINT';

/** entries.list's largest page (https://cloud.google.com/logging/docs/reference/v2/rest/v2/entries/list). */
const PAGE_SIZE = 1000;
/** How often `--follow` asks Cloud Logging again (the API has no push; gcloud polls too). */
const DEFAULT_POLL_MS = 1000;

export interface LogQuery {
  jobIds: readonly string[];
  replica?: string;
  since?: Date;
}

/** The Cloud Logging filter for a job's replica lines (pure, so it is tested as text). */
export function replicaLogFilter(query: LogQuery): string {
  const jobs = query.jobIds.map((id) => `resource.labels.job_id="${id}"`);
  const parts = ['resource.type="ml_job"', jobs.length === 1 ? jobs[0]! : `(${jobs.join(' OR ')})`];
  if (query.replica) parts.push(`resource.labels.task_name="${query.replica}"`);
  // Without a time bound the service reads only the last 24 hours; a job's lines may be older.
  parts.push(`timestamp>="${(query.since ?? new Date(0)).toISOString()}"`);
  return parts.join(' AND ');
}

/** Replica names as Vertex gives them (`workerpool1-0`), from the CustomJob Strato sent. */
export function vertexReplicaNames(record: VertexJobRecord): string[] {
  return record.body.jobSpec.workerPoolSpecs.flatMap((pool, p) =>
    Array.from({ length: pool.replicaCount ?? 0 }, (_, i) => `workerpool${p}-${i}`),
  );
}

interface ApiEntry {
  data: unknown;
  metadata: {
    timestamp?: Date | string;
    insertId?: string | null;
    resource?: { labels?: Record<string, string> | null } | null;
  };
}

function lineOf(entry: ApiEntry): LogLine & { insertId: string; time: string } {
  const { data, metadata } = entry;
  const text =
    typeof data === 'string'
      ? data
      : data && typeof data === 'object' && typeof (data as { message?: unknown }).message === 'string'
        ? (data as { message: string }).message
        : JSON.stringify(data ?? '');
  const time =
    metadata.timestamp instanceof Date ? metadata.timestamp.toISOString() : String(metadata.timestamp);
  return {
    replica: metadata.resource?.labels?.task_name ?? 'unknown',
    text: text.replace(/\n$/, ''),
    time,
    insertId: metadata.insertId ?? '',
  };
}

async function createLogging(project: string, env: NodeJS.ProcessEnv): Promise<Logging> {
  const { Logging } = await import('@google-cloud/logging');
  const url = env[LOGGING_ENDPOINT_ENV];
  if (!url) return new Logging({ projectId: project });
  const endpoint = parseEndpoint(url, LOGGING_ENDPOINT_ENV);
  const options: Record<string, unknown> = {
    projectId: project,
    apiEndpoint: endpoint.host,
    port: endpoint.port,
  };
  if (!endpoint.tls) {
    const grpc = await import('@grpc/grpc-js');
    options.sslCreds = grpc.credentials.createInsecure();
    // With explicit channel credentials no Google credentials are used; naming the universe keeps
    // the auth library from probing for one.
    options.universeDomain = 'googleapis.com';
  }
  return new Logging(options as ConstructorParameters<typeof Logging>[0]);
}

/** Cloud Logging errors → StratoErrors, keeping the service's words and saying the fix. */
export function translateLoggingError(error: unknown, project: string): StratoError {
  if (error instanceof StratoError) return error;
  const rpc = (error ?? {}) as { code?: number; details?: string; message?: string };
  const words = (rpc.details || rpc.message || String(error)).replace(/^\d+ [A-Z_]+: /, '');
  const action = `reading the job's logs from Cloud Logging (project ${project})`;
  if (
    rpc.code === GrpcCode.PERMISSION_DENIED ||
    rpc.code === GrpcCode.UNAUTHENTICATED ||
    (typeof rpc.code !== 'number' && isMissingGoogleCredentials(words))
  ) {
    return new StratoError('E_AUTH', `${action} was refused: ${words}`, {
      cause: error,
      hint:
        `log in with \`gcloud auth application-default login\` and hold roles/logging.viewer on ${project} ` +
        `(gcloud projects add-iam-policy-binding ${project} --member=user:YOU@EXAMPLE.COM --role=roles/logging.viewer); ` +
        `for the fake cloud, export the ${LOGGING_ENDPOINT_ENV} that \`strato fake-cloud\` prints`,
    });
  }
  if (rpc.code === 14 || rpc.code === 4) {
    return new StratoError('E_TRANSIENT', `${action} got no answer: ${words}`, {
      cause: error,
      retryable: true,
      hint: `check the network (or that ${LOGGING_ENDPOINT_ENV} points at a running fake), then try again`,
    });
  }
  return new StratoError(rpc.code === 3 ? 'E_INVALID_REQUEST' : 'E_INTERNAL', `${action} failed: ${words}`, {
    cause: error,
    hint: 'run again with --debug; the Cloud Logging API must be enabled (gcloud services enable logging.googleapis.com)',
  });
}

export interface VertexLogDeps {
  env: NodeJS.ProcessEnv;
  /** The job's status now, to know when following ends. */
  status(): Promise<JobStatus>;
}

/**
 * The job's lines in time order: all of them (from `since`), or the last
 * `tail`; with `follow`, then every new one until the job ends. Entries of
 * equal time are told apart by insert id, so a line is never yielded twice.
 */
export async function* readVertexLogs(
  record: VertexJobRecord,
  options: LogOptions,
  deps: VertexLogDeps,
): AsyncGenerator<LogLine> {
  const names = vertexReplicaNames(record);
  const replica = options.replica;
  if (replica !== undefined && !names.some((n) => replica === n || replica.startsWith(`${n}-vm`))) {
    throw new StratoError('E_NOT_FOUND', `job ${record.jobId} has no replica "${replica}"`, {
      hint: `replicas: ${names.join(', ')} (a TPU slice's hosts: workerpool0-0-vm1, …)`,
    });
  }
  const logging = await createLogging(record.project, deps.env);
  const jobIds = record.attempts.map((a) => a.customJob.split('/').at(-1)!);
  const query = { jobIds, ...(replica ? { replica } : {}) };
  const list = async (filter: string, descending: boolean, limit?: number): Promise<ApiEntry[]> => {
    const out: ApiEntry[] = [];
    let pageToken: string | undefined;
    do {
      const pageSize = Math.min(PAGE_SIZE, limit === undefined ? PAGE_SIZE : limit - out.length);
      const [entries, , response] = (await logging
        .getEntries({
          resourceNames: [`projects/${record.project}`],
          filter,
          orderBy: descending ? 'timestamp desc' : 'timestamp asc',
          pageSize,
          autoPaginate: false,
          ...(pageToken ? { pageToken } : {}),
        })
        .catch((error: unknown) => {
          throw translateLoggingError(error, record.project);
        })) as unknown as [ApiEntry[], unknown, { nextPageToken?: string } | undefined];
      out.push(...entries);
      pageToken = response?.nextPageToken || undefined;
    } while (pageToken && (limit === undefined || out.length < limit));
    return out;
  };

  // Where reading resumes: the last time seen, and the insert ids already yielded at that time.
  let lastTime = options.since ?? new Date(0);
  let seenAtLast = new Set<string>();
  const fresh = (entries: ApiEntry[]) => {
    const lines = entries.map(lineOf).filter((line) => {
      const at = new Date(line.time);
      return at.getTime() > lastTime.getTime() || !seenAtLast.has(line.insertId);
    });
    for (const line of lines) {
      const at = new Date(line.time);
      if (at.getTime() > lastTime.getTime()) {
        lastTime = at;
        seenAtLast = new Set();
      }
      seenAtLast.add(line.insertId);
    }
    return lines;
  };
  const toLine = ({ replica, text, time }: LogLine & { time: string }): LogLine => ({ replica, text, time });

  let ended = options.follow ? isTerminalState((await deps.status()).state) : true;
  const first =
    options.tail !== undefined
      ? (
          await list(
            replicaLogFilter({ ...query, ...(options.since ? { since: options.since } : {}) }),
            true,
            options.tail,
          )
        ).reverse()
      : await list(replicaLogFilter({ ...query, ...(options.since ? { since: options.since } : {}) }), false);
  for (const line of fresh(first)) yield toLine(line);
  const pollMs = options.pollIntervalMs ?? DEFAULT_POLL_MS;
  while (options.follow && !ended && !options.signal?.aborted) {
    await sleep(pollMs, options.signal).catch(() => {});
    if (options.signal?.aborted) return;
    // Read the state first: lines written before the end are then in the read that follows.
    ended = isTerminalState((await deps.status()).state);
    for (const line of fresh(await list(replicaLogFilter({ ...query, since: lastTime }), false)))
      yield toLine(line);
  }
}
