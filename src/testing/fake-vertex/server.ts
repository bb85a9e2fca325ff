/**
 * `startFakeVertex()`: a Vertex AI JobService on 127.0.0.1 that the real
 * `@google-cloud/aiplatform` client (gRPC) and `gcloud ai custom-jobs`
 * (REST) talk to, which validates like the service and runs every replica
 * of every job as a local process with the environment Vertex injects.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { allocatePorts } from '../../providers/local/ports.ts';
import { findImageCommand, type ImageCommands, imageCommandTable } from '../image-commands.ts';
import { VertexFaults } from './faults.ts';
import { jobServiceHandlers, operationsHandlers } from './grpc-handlers.ts';
import type { FakeVertexTiming, JobRun } from './job-run.ts';
import type { ReplicaLogSink } from './log-forwarder.ts';
import type { WorkerPoolSpecMessage } from './messages.ts';
import { loadVertexProtos } from './protos.ts';
import { type RestGateway, startRestGateway } from './rest-gateway.ts';
import { FakeJobService } from './service.ts';

const DEFAULT_HOST = '127.0.0.1';

/** Quick enough for tests, slow enough that QUEUED and PENDING can be seen. */
export const DEFAULT_TIMING: FakeVertexTiming = {
  queuedMs: 100,
  pendingMs: 200,
  stopGraceMs: 2000,
};

export interface FakeVertexOptions {
  /** Interface both servers (and the replicas' cluster addresses) bind; default 127.0.0.1. */
  host?: string;
  timing?: Partial<FakeVertexTiming>;
  /**
   * What to run for a container that has no `command`: image URI (or
   * `prefix*`) → command, on top of the default table that maps Strato's
   * trainer images to the trainer helper (image-commands.ts). (A real image
   * has an entrypoint; the fake runs no containers.)
   */
  images?: ImageCommands;
  /** Working directory of replica processes. Default: this process's. */
  cwd?: string;
  /** Extra env for every replica, e.g. `STORAGE_EMULATOR_HOST` of the fake Cloud Storage. */
  replicaEnv?: Record<string, string>;
  /** Where replicas' lines go as Cloud Logging entries, as Vertex sends them (the fake cloud: its fake Cloud Logging). */
  logSink?: ReplicaLogSink;
  /** Folder for replica logs; default a temporary folder removed on stop. */
  logDir?: string;
  /** Clock for job timestamps. */
  now?: () => Date;
}

export interface FakeVertex {
  /** `127.0.0.1:PORT` of the gRPC JobService and Operations. */
  endpoint: string;
  host: string;
  port: number;
  /** `http://127.0.0.1:PORT/`: the REST face, for `gcloud config set api_endpoint_overrides/aiplatform`. */
  restUrl: string;
  faults: VertexFaults;
  service: FakeJobService;
  /** What a JobServiceClient (or the vertex provider) needs to reach this fake. */
  clientOptions(): FakeVertexClientOptions;
  /** Preempts a running job (by resource name or id); resolves once it has ended FAILED. */
  preempt(job: string): Promise<void>;
  /** The run behind a job, by resource name or id. */
  runOf(job: string): JobRun | undefined;
  /** Stops every replica and both servers. */
  close(): Promise<void>;
}

export interface FakeVertexClientOptions {
  apiEndpoint: string;
  port: number;
  sslCreds: grpc.ChannelCredentials;
}

function commandResolver(images: ImageCommands) {
  return (pool: WorkerPoolSpecMessage): string[] => {
    const command = pool.containerSpec?.command ?? [];
    if (command.length > 0) return command;
    const image = pool.containerSpec?.imageUri ?? '';
    const mapped = findImageCommand(images, image);
    if (mapped) return mapped;
    throw new Error(
      `The fake Vertex cannot run image "${image}": the container spec has no command, and no command is mapped to the image. ` +
        `Map one with \`strato fake-cloud --image ${image}=COMMAND\` (or startFakeVertex({ images })), or give the spec a command.`,
    );
  };
}

export async function startFakeVertex(options: FakeVertexOptions = {}): Promise<FakeVertex> {
  const host = options.host ?? DEFAULT_HOST;
  const protos = await loadVertexProtos();
  const ownLogDir = options.logDir === undefined;
  const logDir = options.logDir ?? mkdtempSync(join(tmpdir(), 'strato-fake-vertex-'));
  const faults = new VertexFaults();
  const service = new FakeJobService({
    now: options.now ?? (() => new Date()),
    faults,
    timing: { ...DEFAULT_TIMING, ...options.timing },
    logDir,
    cwd: options.cwd ?? process.cwd(),
    replicaEnv: options.replicaEnv ?? {},
    allocateAddresses: async (count) => (await allocatePorts(count, { host })).map((p) => `${host}:${p}`),
    commandOf: commandResolver(imageCommandTable(options.images)),
    ...(options.logSink ? { logSink: options.logSink } : {}),
  });

  const server = new grpc.Server();
  server.addService(protos.jobService, jobServiceHandlers(protos.jobService, service));
  server.addService(protos.operations, operationsHandlers(protos.operations, service));
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`${host}:0`, grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    );
  });
  let rest: RestGateway;
  try {
    rest = await startRestGateway(service, host);
  } catch (error) {
    server.forceShutdown();
    throw error;
  }

  return {
    endpoint: `${host}:${port}`,
    host,
    port,
    restUrl: rest.url,
    faults,
    service,
    runOf: (job) => service.runOf(job),
    clientOptions: () => ({ apiEndpoint: host, port, sslCreds: grpc.credentials.createInsecure() }),
    async preempt(job) {
      const run = service.runOf(job);
      if (!run) throw new Error(`fake Vertex has no job ${job}`);
      await run.preempt();
    },
    async close() {
      await service.dispose();
      await rest.close();
      server.forceShutdown();
      if (ownLogDir) rmSync(logDir, { recursive: true, force: true });
    },
  };
}
