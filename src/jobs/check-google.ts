/**
 * `strato check` for Google Cloud: Vertex AI and gs://. Each answer comes
 * from the stock client doing what a job would do — Application Default
 * Credentials resolved by google-auth-library, one ListCustomJobs, one
 * buckets.list — against the endpoint a job would use (a fake's, from
 * STRATO_VERTEX_ENDPOINT / STORAGE_EMULATOR_HOST, needs no credentials).
 */

import type { Storage } from '@google-cloud/storage';
import type { StratoError } from '../errors.ts';
import { createVertexApi } from '../providers/vertex/api.ts';
import { parseEndpointUrl, VERTEX_ENDPOINT_ENV } from '../providers/vertex/index.ts';
import { lazyStorageClient, resolveGcsEndpoint } from '../storage/gcs/connect.ts';
import { type CheckItem, type CheckOptions, type CheckResult, failedItem, resultOf } from './check-types.ts';

const LOGIN = 'gcloud auth application-default login';
const SET_PROJECT = 'gcloud config set project PROJECT_ID (or --project, or export GOOGLE_CLOUD_PROJECT)';
/** Vertex's default region in Strato's templates; `--region` checks another. */
const DEFAULT_REGION = 'us-central1';
/** Matches no job: the call proves access without reading a project's jobs. */
const NO_JOB_FILTER = 'labels.strato-check="none"';
/** One call, no retries: a check reports what it sees now. */
const NO_RETRY = { maxAttempts: 1, initialDelayMs: 0, maxDelayMs: 0 };

interface GoogleFacts {
  credentials: CheckItem;
  project: CheckItem;
  /** The project to call with (a placeholder on a fake, which accepts any). */
  projectId: string | undefined;
}

const PROJECT_ENV = ['GOOGLE_CLOUD_PROJECT', 'GCLOUD_PROJECT', 'CLOUDSDK_CORE_PROJECT'] as const;

/** Credentials and project as the Google client libraries find them (ADC); none needed on a fake. */
async function googleFacts(options: CheckOptions, needsCredentials: boolean): Promise<GoogleFacts> {
  const env = options.env ?? process.env;
  const fromEnv = PROJECT_ENV.find((name) => env[name]);
  const named = options.project ?? (fromEnv ? env[fromEnv] : undefined);
  const source = options.project ? '--project' : fromEnv;
  if (!needsCredentials) {
    return {
      credentials: { name: 'credentials', ok: true, detail: 'none sent (an emulator or fake endpoint)' },
      project: {
        name: 'project',
        ok: true,
        detail: named ? `${named} (${source})` : 'any (the fake accepts every project)',
      },
      projectId: named ?? 'strato-fake',
    };
  }
  const { Storage } = await import('@google-cloud/storage');
  const auth = new Storage().authClient;
  let credentials: CheckItem;
  try {
    const client = await auth.getClient();
    await client.getAccessToken();
    const who = (client as { email?: string }).email;
    credentials = {
      name: 'credentials',
      ok: true,
      detail: `Application Default Credentials${who ? ` (${who})` : ''}`,
    };
  } catch (error) {
    const keyFile = env.GOOGLE_APPLICATION_CREDENTIALS;
    credentials = failedItem(
      'credentials',
      error,
      keyFile
        ? `check the key file GOOGLE_APPLICATION_CREDENTIALS=${keyFile}, or unset it and run ${LOGIN}`
        : LOGIN,
    );
  }
  if (named)
    return {
      credentials,
      project: { name: 'project', ok: true, detail: `${named} (${source})` },
      projectId: named,
    };
  try {
    const projectId = await auth.getProjectId();
    return {
      credentials,
      project: { name: 'project', ok: true, detail: `${projectId} (gcloud or credentials)` },
      projectId,
    };
  } catch (error) {
    return { credentials, project: failedItem('project', error, SET_PROJECT), projectId: undefined };
  }
}

export async function checkVertex(options: CheckOptions): Promise<CheckResult> {
  const env = options.env ?? process.env;
  const region = options.region ?? env.CLOUDSDK_AI_REGION ?? DEFAULT_REGION;
  const url = env[VERTEX_ENDPOINT_ENV];
  const endpoint = url ? await parseEndpointUrl(url) : {};
  const plaintext = endpoint.sslCreds !== undefined;
  const where = url ? `${url} (${VERTEX_ENDPOINT_ENV})` : `${region}-aiplatform.googleapis.com:443`;
  const items: CheckItem[] = [{ name: 'endpoint', ok: true, detail: where }];
  const facts = await googleFacts(options, !plaintext);
  items.push(facts.credentials, facts.project, {
    name: 'region',
    ok: true,
    detail: `${region}${options.region ? '' : env.CLOUDSDK_AI_REGION ? ' (CLOUDSDK_AI_REGION)' : ' (default; --region checks another)'}`,
  });
  if (!facts.credentials.ok || !facts.projectId) {
    items.push({ name: 'api', ok: false, detail: 'not tried (credentials or project missing)' });
    return resultOf('vertex', items);
  }
  const api = await createVertexApi(facts.projectId, region, { ...endpoint, retry: NO_RETRY });
  try {
    await api.list(NO_JOB_FILTER);
    items.push({ name: 'api', ok: true, detail: `aiplatform answers ListCustomJobs in ${api.parent}` });
  } catch (error) {
    items.push(
      failedItem(
        'api',
        error,
        (error as StratoError).code === 'E_AUTH' || (error as StratoError).code === 'E_INVALID_REQUEST'
          ? `gcloud services enable aiplatform.googleapis.com --project ${facts.projectId}; ${(error as StratoError).hint ?? ''}`.trim()
          : undefined,
      ),
    );
  } finally {
    await api.close();
  }
  return resultOf('vertex', items);
}

export async function checkGcs(options: CheckOptions): Promise<CheckResult> {
  const env = options.env ?? process.env;
  const resolved = resolveGcsEndpoint({ env });
  const items: CheckItem[] = [
    {
      name: 'endpoint',
      ok: true,
      detail: resolved.custom ? `${resolved.endpoint} (STORAGE_EMULATOR_HOST)` : resolved.endpoint,
    },
  ];
  const facts = await googleFacts(options, !resolved.custom);
  items.push(facts.credentials, facts.project);
  if (!facts.credentials.ok || !facts.projectId) {
    items.push({ name: 'api', ok: false, detail: 'not tried (credentials or project missing)' });
    return resultOf('gs', items);
  }
  const storage: Storage = await lazyStorageClient({ projectId: facts.projectId }, resolved)();
  try {
    await storage.getBuckets({ maxResults: 1, autoPaginate: false });
    items.push({
      name: 'api',
      ok: true,
      detail: `storage answers buckets.list in project ${facts.projectId}`,
    });
  } catch (error) {
    const status = (error as { code?: number }).code;
    items.push(
      failedItem(
        'api',
        error,
        status === 403 || status === 401
          ? `gcloud services enable storage.googleapis.com --project ${facts.projectId}, and grant roles/storage.admin (or objectAdmin on your buckets)`
          : undefined,
      ),
    );
  }
  return resultOf('gs', items);
}
