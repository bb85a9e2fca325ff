/**
 * The Compute Engine clients the drivers share: `@google-cloud/compute`'s
 * REST clients (loaded on first use, each from its own module), pointed at
 * the real service or at `STRATO_COMPUTE_ENDPOINT`. An `http://` endpoint is
 * a fake or an emulator on loopback: plaintext, no credentials. Otherwise
 * Application Default Credentials; none found is E_AUTH naming
 * `gcloud auth application-default login`.
 *
 * Every call goes through `call`, which translates errors at this edge and
 * retries transient ones; callers pass only what is safe to repeat (reads,
 * and writes that carry a `requestId`, which the service de-duplicates).
 */

import { randomUUID } from 'node:crypto';
import type {
  FirewallsClient,
  GlobalOperationsClient,
  ImagesClient,
  InstancesClient,
  NetworksClient,
  protos,
  ZoneOperationsClient,
} from '@google-cloud/compute';
import { StratoError } from '../../errors.ts';
import { parseEndpoint } from '../../internal/endpoint.ts';
import { type RetryPolicy, withRetry } from '../../internal/retry.ts';
import type { ProgressEvent } from '../types.ts';
import {
  type OperationErrorContext,
  translateComputeError,
  translateOperationError,
} from './compute-errors.ts';

export type Operation = protos.google.cloud.compute.v1.IOperation;

/** The environment variable naming the Compute Engine endpoint, e.g. a fake's `http://127.0.0.1:PORT`. */
export const COMPUTE_ENDPOINT_ENV = 'STRATO_COMPUTE_ENDPOINT';

/** Five calls over ~15 s at worst, full jitter. */
export const COMPUTE_RETRY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 500, maxDelayMs: 8000 };

export interface ComputeApiOptions {
  /** `http://HOST:PORT` (no credentials) or `https://HOST[:PORT]`; default STRATO_COMPUTE_ENDPOINT, else compute.googleapis.com. */
  endpoint?: string;
  /** Where STRATO_COMPUTE_ENDPOINT is read; default process.env. */
  env?: NodeJS.ProcessEnv;
  retry?: RetryPolicy;
}

export interface ComputeApi {
  /** `http(s)://host:port` the clients talk to. */
  readonly endpoint: string;
  readonly instances: InstancesClient;
  readonly networks: NetworksClient;
  readonly firewalls: FirewallsClient;
  readonly images: ImagesClient;
  /** Runs `fn`, translating errors and retrying transient ones (pass only calls safe to repeat). */
  call<T>(action: string, project: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Waits for an operation with `operations.wait`, reporting each state; throws its error translated. */
  waitFor(operation: Operation, context: OperationWait): Promise<Operation>;
  close(): Promise<void>;
}

export interface OperationWait extends OperationErrorContext {
  /** The resource's id in the stack, for progress events. */
  id: string;
  onProgress?: (event: ProgressEvent) => void;
  signal?: AbortSignal;
}

/** A request id for a write: the service answers a repeat of it with the first operation. */
export function newRequestId(): string {
  return randomUUID();
}

/** No credentials, for a fake on loopback: plain fetch, with the shape google-gax's REST transport calls. */
const ANONYMOUS_AUTH = {
  universeDomain: 'googleapis.com',
  getRequestHeaders: async () => new Headers(),
  fetch: (
    url: string,
    init: { method?: string; headers?: Headers; body?: string | Buffer; signal?: AbortSignal },
  ) => fetch(url, { method: init.method, headers: init.headers, body: init.body, signal: init.signal }),
};

async function loadClients() {
  // One after another: concurrent dynamic imports of these CommonJS modules (which share google-gax)
  // were seen never to settle in a job's detached controller process (Node 24); sequential ones did.
  const instances = await import('@google-cloud/compute/build/src/v1/instances_client.js');
  const networks = await import('@google-cloud/compute/build/src/v1/networks_client.js');
  const firewalls = await import('@google-cloud/compute/build/src/v1/firewalls_client.js');
  const images = await import('@google-cloud/compute/build/src/v1/images_client.js');
  const zoneOps = await import('@google-cloud/compute/build/src/v1/zone_operations_client.js');
  const globalOps = await import('@google-cloud/compute/build/src/v1/global_operations_client.js');
  return {
    InstancesClient: instances.InstancesClient as typeof InstancesClient,
    NetworksClient: networks.NetworksClient as typeof NetworksClient,
    FirewallsClient: firewalls.FirewallsClient as typeof FirewallsClient,
    ImagesClient: images.ImagesClient as typeof ImagesClient,
    ZoneOperationsClient: zoneOps.ZoneOperationsClient as typeof ZoneOperationsClient,
    GlobalOperationsClient: globalOps.GlobalOperationsClient as typeof GlobalOperationsClient,
  };
}

export async function createComputeApi(options: ComputeApiOptions = {}): Promise<ComputeApi> {
  const env = options.env ?? process.env;
  const configured = options.endpoint ?? env[COMPUTE_ENDPOINT_ENV];
  const parsed = configured
    ? parseEndpoint(configured, options.endpoint ? 'the compute endpoint' : COMPUTE_ENDPOINT_ENV)
    : { tls: true, host: 'compute.googleapis.com', port: 443, url: 'https://compute.googleapis.com' };
  const classes = await loadClients();
  const clientOptions = {
    apiEndpoint: parsed.host,
    port: parsed.port,
    ...(parsed.tls ? {} : { protocol: 'http', auth: ANONYMOUS_AUTH }),
  } as ConstructorParameters<typeof InstancesClient>[0];
  const instances = new classes.InstancesClient(clientOptions);
  const networks = new classes.NetworksClient(clientOptions);
  const firewalls = new classes.FirewallsClient(clientOptions);
  const images = new classes.ImagesClient(clientOptions);
  const zoneOperations = new classes.ZoneOperationsClient(clientOptions);
  const globalOperations = new classes.GlobalOperationsClient(clientOptions);
  const clients = [instances, networks, firewalls, images, zoneOperations, globalOperations];
  // Credentials are found when a client initializes; found missing inside a call, the library
  // rejects unhandled and the call never settles, so they are looked for here, once.
  try {
    await Promise.all(clients.map((client) => client.initialize()));
  } catch (error) {
    await Promise.allSettled(clients.map((client) => client.close()));
    throw translateComputeError(error, 'connecting to Compute Engine', 'the project');
  }
  const retry = options.retry ?? COMPUTE_RETRY;

  const call = <T>(action: string, project: string, fn: () => Promise<T>, signal?: AbortSignal) =>
    withRetry(
      retry,
      async () => {
        try {
          return await fn();
        } catch (error) {
          throw translateComputeError(error, action, project);
        }
      },
      {
        shouldRetry: (error) => error instanceof StratoError && error.retryable,
        ...(signal ? { signal } : {}),
      },
    );

  async function waitFor(operation: Operation, context: OperationWait): Promise<Operation> {
    let current = operation;
    const zone = current.zone ? current.zone.split('/').pop() : undefined;
    const report = () =>
      context.onProgress?.({
        id: context.id,
        status: String(current.status ?? 'PENDING'),
        message: `${current.operationType ?? 'operation'} ${current.progress ?? 0}%`,
      });
    report();
    while (current.status !== 'DONE') {
      context.signal?.throwIfAborted();
      const name = current.name ?? '';
      current = await call(
        `waiting for ${context.action}`,
        context.project,
        async () => {
          const [next] = zone
            ? await zoneOperations.wait({ project: context.project, zone, operation: name })
            : await globalOperations.wait({ project: context.project, operation: name });
          return next;
        },
        context.signal,
      );
      report();
    }
    const errors = current.error?.errors ?? [];
    if (errors.length > 0) throw translateOperationError(errors, context);
    return current;
  }

  return {
    endpoint: parsed.url,
    instances,
    networks,
    firewalls,
    images,
    call,
    waitFor,
    async close() {
      await Promise.all(
        [instances, networks, firewalls, images, zoneOperations, globalOperations].map((c) => c.close()),
      );
    },
  };
}

/** The Compute Operation inside what an insert/delete/… call returns (`[LROperation]`, whose `latestResponse` it is). */
export function operationOf(result: readonly unknown[]): Operation {
  return (result[0] as { latestResponse: Operation }).latestResponse;
}
