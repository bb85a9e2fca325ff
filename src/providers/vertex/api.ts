/**
 * The JobService calls Strato makes, over `@google-cloud/aiplatform`'s v1
 * JobServiceClient (gRPC), loaded on first use so nothing else pays for it.
 * Every call has its errors translated at this edge; reads are retried with
 * jittered backoff, creates are not (see `submit.ts` for the idempotent
 * create).
 */

import type { v1 } from '@google-cloud/aiplatform';
import type { ChannelCredentials } from '@grpc/grpc-js';
import { type RetryPolicy, withRetry } from '../../internal/retry.ts';
import type { CustomJobBody } from './custom-job-body.ts';
import { translateVertexError } from './errors.ts';
import { isRetryableVertexError, VERTEX_RETRY } from './retry-rules.ts';

export interface VertexEndpointOptions {
  /** Host of the JobService; default the regional endpoint `${region}-aiplatform.googleapis.com`. */
  apiEndpoint?: string;
  /** Default 443. */
  port?: number;
  /** Channel credentials, e.g. `grpc.credentials.createInsecure()` for the fake Vertex. */
  sslCreds?: ChannelCredentials;
  retry?: RetryPolicy;
}

/** The CustomJob fields Strato reads back (a subset of the proto, as the client returns them). */
export interface CustomJobView {
  name: string;
  displayName: string;
  state: string;
  labels: Record<string, string>;
  createTime?: Date;
  startTime?: Date;
  endTime?: Date;
  updateTime?: Date;
  error?: { code: number; message: string };
  outputUriPrefix?: string;
}

export interface VertexApi {
  readonly project: string;
  readonly region: string;
  readonly parent: string;
  /** `host:port` the client talks to. */
  readonly endpoint: string;
  /** One create call, no retry (a retried create could run the job twice). */
  createOnce(body: CustomJobBody): Promise<CustomJobView>;
  get(name: string): Promise<CustomJobView>;
  /** Every job matching `filter`, following pages. */
  list(filter: string): Promise<CustomJobView[]>;
  cancel(name: string): Promise<void>;
  delete(name: string): Promise<void>;
  close(): Promise<void>;
}

type JobServiceClient = v1.JobServiceClient;
type Timestamp = { seconds?: unknown; nanos?: number | null } | null | undefined;

function dateOf(timestamp: Timestamp): Date | undefined {
  if (!timestamp || timestamp.seconds === undefined || timestamp.seconds === null) return undefined;
  return new Date(Number(timestamp.seconds) * 1000 + Math.floor((timestamp.nanos ?? 0) / 1e6));
}

interface RawJob {
  name?: string | null;
  displayName?: string | null;
  state?: unknown;
  labels?: Record<string, string> | null;
  createTime?: Timestamp;
  startTime?: Timestamp;
  endTime?: Timestamp;
  updateTime?: Timestamp;
  error?: { code?: number | null; message?: string | null } | null;
  jobSpec?: { baseOutputDirectory?: { outputUriPrefix?: string | null } | null } | null;
}

export function viewOf(job: RawJob): CustomJobView {
  const view: CustomJobView = {
    name: job.name ?? '',
    displayName: job.displayName ?? '',
    state: typeof job.state === 'string' ? job.state : String(job.state ?? 'JOB_STATE_UNSPECIFIED'),
    labels: { ...(job.labels ?? {}) },
  };
  const times = {
    createTime: dateOf(job.createTime),
    startTime: dateOf(job.startTime),
    endTime: dateOf(job.endTime),
    updateTime: dateOf(job.updateTime),
  };
  for (const [key, value] of Object.entries(times)) if (value) view[key as keyof typeof times] = value;
  if (job.error && (job.error.code || job.error.message)) {
    view.error = { code: job.error.code ?? 0, message: job.error.message ?? '' };
  }
  const output = job.jobSpec?.baseOutputDirectory?.outputUriPrefix;
  if (output) view.outputUriPrefix = output;
  return view;
}

/** Loads the client class; the deep path skips the other 30 services of the package (~3× faster). */
async function loadJobServiceClient(): Promise<typeof v1.JobServiceClient> {
  try {
    const module = (await import('@google-cloud/aiplatform/build/src/v1/job_service_client.js')) as {
      JobServiceClient: typeof v1.JobServiceClient;
    };
    return module.JobServiceClient;
  } catch {
    return (await import('@google-cloud/aiplatform')).v1.JobServiceClient;
  }
}

export async function createVertexApi(
  project: string,
  region: string,
  options: VertexEndpointOptions = {},
): Promise<VertexApi> {
  const JobServiceClient = await loadJobServiceClient();
  // Vertex serves each region from its own endpoint (https://cloud.google.com/vertex-ai/docs/reference/rest#service-endpoint).
  const apiEndpoint = options.apiEndpoint ?? `${region}-aiplatform.googleapis.com`;
  const port = options.port ?? 443;
  const client: JobServiceClient = new JobServiceClient({
    apiEndpoint,
    port,
    ...(options.sslCreds
      ? {
          sslCreds: options.sslCreds,
          // With explicit channel credentials no Google credentials are used; naming the universe
          // keeps the auth library from probing for one (which would reach for the metadata server).
          universeDomain: 'googleapis.com',
        }
      : {}),
  });
  const parent = `projects/${project}/locations/${region}`;
  const policy = options.retry ?? VERTEX_RETRY;
  // Credentials are resolved once, here, before the first call: a missing or broken one is then
  // one E_AUTH with the fix, instead of the auth library's rejection surfacing in several places.
  let credentials: Promise<unknown> | undefined;
  const checkCredentials = (): Promise<unknown> | undefined => {
    if (options.sslCreds) return undefined;
    credentials ??= (client as unknown as { auth: { getClient(): Promise<unknown> } }).auth.getClient();
    return credentials;
  };
  const call = async <T>(action: string, run: () => Promise<T>): Promise<T> => {
    try {
      await checkCredentials();
      return await run();
    } catch (error) {
      throw translateVertexError(error, { action, project, region });
    }
  };
  const read = <T>(action: string, run: () => Promise<T>) =>
    withRetry(policy, () => call(action, run), { shouldRetry: isRetryableVertexError });

  return {
    project,
    region,
    parent,
    endpoint: `${apiEndpoint}:${port}`,
    async createOnce(body) {
      const [job] = await call(`creating CustomJob ${body.displayName}`, () =>
        client.createCustomJob({ parent, customJob: body as never }),
      );
      return viewOf(job as RawJob);
    },
    async get(name) {
      const [job] = await read(`reading ${name}`, () => client.getCustomJob({ name }));
      return viewOf(job as RawJob);
    },
    async list(filter) {
      const out: CustomJobView[] = [];
      let pageToken: string | undefined;
      do {
        const [jobs, , response] = await read(`listing CustomJobs in ${parent}`, () =>
          client.listCustomJobs(
            { parent, filter, ...(pageToken ? { pageToken } : {}) },
            { autoPaginate: false },
          ),
        );
        out.push(...jobs.map((job) => viewOf(job as RawJob)));
        pageToken = response?.nextPageToken || undefined;
      } while (pageToken);
      return out;
    },
    async cancel(name) {
      await read(`cancelling ${name}`, () => client.cancelCustomJob({ name }));
    },
    async delete(name) {
      await read(`deleting ${name}`, async () => {
        const [operation] = await client.deleteCustomJob({ name });
        await operation.promise();
      });
    },
    close: () => client.close(),
  };
}
