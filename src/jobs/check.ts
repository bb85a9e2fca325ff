/**
 * `strato check` (SkyPilot's `sky check`): for each provider and store,
 * whether what it needs is there — endpoint, credentials, project, region,
 * the API answering — and the exact command that fixes what is not. The
 * cloud checks load their SDK only when asked for. A malformed endpoint
 * variable is not a finding but bad input: E_USAGE naming the variable.
 */

import { spawnSync } from 'node:child_process';
import { parseEndpoint } from '../internal/endpoint.ts';
import { resolveGcsEndpoint } from '../storage/gcs/connect.ts';
import { s3EndpointFromEnv } from '../storage/s3/store.ts';
import {
  CHECK_TARGETS,
  type CheckItem,
  type CheckOptions,
  type CheckResult,
  type CheckTarget,
  failedItem,
  resultOf,
} from './check-types.ts';

export * from './check-types.ts';

const DEFAULT_TIMEOUT_MS = 15_000;

/** The first line a program prints for `--version`, or undefined when it is not on PATH. */
function versionOf(command: string, args: string[]): string | undefined {
  const result = spawnSync(command, args, { encoding: 'utf8', timeout: 5000 });
  if (result.error || result.status !== 0) return undefined;
  return `${result.stdout}${result.stderr}`.trim().split('\n')[0];
}

function checkLocal(): CheckResult {
  const python = versionOf('python3', ['--version']);
  const docker = versionOf('docker', ['info', '--format', '{{.ServerVersion}}']);
  return resultOf('local', [
    { name: 'node', ok: true, detail: `${process.versions.node} (${process.execPath})` },
    python
      ? { name: 'python3', ok: true, detail: `${python} (the TensorFlow templates run it)`, required: false }
      : {
          name: 'python3',
          ok: false,
          detail: 'not on PATH (only templates/tf-local-*.yaml need it)',
          fix: 'install Python 3 with tensorflow-cpu and put it first on PATH',
          required: false,
        },
    docker
      ? { name: 'docker', ok: true, detail: `engine ${docker} (for --docker)`, required: false }
      : {
          name: 'docker',
          ok: false,
          detail: 'no engine answers (only `strato run --docker` needs one)',
          fix: 'start Docker (https://docs.docker.com/engine/install/)',
          required: false,
        },
  ]);
}

async function checkS3(options: CheckOptions): Promise<CheckResult> {
  const env = options.env ?? process.env;
  const endpoint = s3EndpointFromEnv(env);
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const items: CheckItem[] = [
    { name: 'endpoint', ok: true, detail: endpoint ? `${endpoint.url} (${endpoint.source})` : 'AWS S3' },
    {
      name: 'region',
      ok: true,
      detail: region
        ? `${region} (${env.AWS_REGION ? 'AWS_REGION' : 'AWS_DEFAULT_REGION'})`
        : 'us-east-1 (default)',
    },
  ];
  const { S3Client, ListBucketsCommand } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({
    region: region ?? 'us-east-1',
    ...(endpoint ? { endpoint: endpoint.url, forcePathStyle: true } : {}),
  });
  try {
    try {
      await s3.config.credentials();
      items.push({ name: 'credentials', ok: true, detail: 'the AWS SDK credential chain found some' });
    } catch (error) {
      items.push(
        failedItem(
          'credentials',
          error,
          'aws configure (or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; AWS_PROFILE picks a profile)',
        ),
      );
      items.push({ name: 'api', ok: false, detail: 'not tried (no credentials)' });
      return resultOf('s3', items);
    }
    try {
      await s3.send(new ListBucketsCommand({ MaxBuckets: 1 }));
      items.push({ name: 'api', ok: true, detail: 'S3 answers ListBuckets' });
    } catch (error) {
      items.push(
        failedItem(
          'api',
          error,
          "check the credentials' IAM policy allows s3:ListAllMyBuckets, and the endpoint",
        ),
      );
    }
  } finally {
    s3.destroy();
  }
  return resultOf('s3', items);
}

function timedOut(target: CheckTarget, ms: number): CheckResult {
  return resultOf(target, [
    {
      name: 'api',
      ok: false,
      detail: `no answer within ${Math.round(ms / 1000)} s`,
      fix: 'check the network and the endpoint variables (STRATO_VERTEX_ENDPOINT, STORAGE_EMULATOR_HOST, AWS_ENDPOINT_URL_S3)',
    },
  ]);
}

async function withDeadline(
  target: CheckTarget,
  ms: number,
  run: () => Promise<CheckResult>,
): Promise<CheckResult> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<CheckResult>((resolve) => {
    timer = setTimeout(() => resolve(timedOut(target, ms)), ms);
  });
  try {
    return await Promise.race([run(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Parses every endpoint variable Strato reads (STRATO_VERTEX_ENDPOINT,
 * STORAGE_EMULATOR_HOST, AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL): a malformed
 * one is E_USAGE naming it, before any other work (submit calls this first,
 * so a typo is reported as the typo, not as whatever failed next).
 */
export function checkEndpointVariables(env: NodeJS.ProcessEnv): void {
  // VERTEX_ENDPOINT_ENV of providers/vertex, named here so a local job never loads the Vertex provider.
  const vertex = env.STRATO_VERTEX_ENDPOINT;
  if (vertex) parseEndpoint(vertex, 'STRATO_VERTEX_ENDPOINT', 'http://127.0.0.1:8085');
  resolveGcsEndpoint({ env });
  s3EndpointFromEnv(env);
}

/**
 * Checks each target in `options.targets` (default all). Never throws for
 * what it finds; throws E_USAGE for a malformed endpoint variable (checked
 * for every target first, so one bad variable is reported before any
 * network call).
 */
export async function checkSetup(options: CheckOptions = {}): Promise<CheckResult[]> {
  const targets = options.targets ?? CHECK_TARGETS;
  const ms = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  checkEndpointVariables(options.env ?? process.env);

  const { checkGcs, checkVertex } = await import('./check-google.ts');
  const run: Record<CheckTarget, () => Promise<CheckResult>> = {
    local: async () => checkLocal(),
    vertex: () => checkVertex(options),
    gs: () => checkGcs(options),
    s3: () => checkS3(options),
  };
  return Promise.all(targets.map((target) => withDeadline(target, ms, run[target])));
}
