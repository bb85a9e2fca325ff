/**
 * The fake cloud: every fake service on loopback, started together. Each
 * service lives in its own folder (`fake-gcs/`, …) and knows nothing of the
 * others; this file only starts them, collects their endpoints and the
 * environment that points clients at them, and stops them.
 */

import {
  type FakeArtifactRegistry,
  fakeArtifactRegistryEnv,
  startFakeArtifactRegistry,
} from './fake-artifact-registry/index.ts';
import {
  type FakeCompute,
  type FakeComputeOptions,
  fakeComputeEnv,
  startFakeCompute,
} from './fake-compute/index.ts';
import { type FakeGcs, type FakeGcsOptions, fakeGcsEnv, startFakeGcs } from './fake-gcs/index.ts';
import { type FakeIam, type FakeIamOptions, fakeIamEnv, startFakeIam } from './fake-iam/index.ts';
import {
  type FakeLogging,
  type FakeLoggingOptions,
  fakeLoggingEnv,
  startFakeLogging,
} from './fake-logging/index.ts';
import { type FakeTpu, type FakeTpuOptions, fakeTpuEnv, startFakeTpu } from './fake-tpu/index.ts';
import {
  type FakeVertex,
  type FakeVertexOptions,
  fakeVertexEnv,
  startFakeVertex,
} from './fake-vertex/index.ts';
import { type FakeVmOptions, VmFleet } from './fake-vm/fleet.ts';

export interface FakeCloudOptions {
  /** Interface every service binds; default 127.0.0.1. */
  host?: string;
  /** Fake Cloud Storage options, or false to leave it out. */
  storage?: FakeGcsOptions | false;
  /** Fake Vertex AI options, or false to leave it out. Its replicas reach the fake Cloud Storage. */
  vertex?: FakeVertexOptions | false;
  /** Fake Cloud TPU options, or false to leave it out. */
  tpu?: FakeTpuOptions | false;
  /** Fake Compute Engine options, or false to leave it out. */
  compute?: FakeComputeOptions | false;
  /** Fake Cloud Logging options, or false to leave it out. It receives the fake Vertex replicas' lines. */
  logging?: FakeLoggingOptions | false;
  /**
   * Fake VMs that really boot (fake-vm/): the fake Compute's RUNNING
   * instances and the fake TPU's READY nodes run their startup script
   * locally, all in one fleet (so their names resolve to each other), with
   * the fake Cloud Storage's environment. Off by default.
   */
  boot?: boolean | FakeVmOptions;
  /** Fake IAM + Resource Manager (service accounts, project IAM policy) options, or false to leave it out. */
  iam?: FakeIamOptions | false;
  /** Fake Artifact Registry (repositories), or false to leave it out. */
  artifactRegistry?: { port?: number } | false;
}

export interface FakeCloudEndpoints {
  /** Cloud Storage JSON API base, `http://127.0.0.1:PORT`. */
  storage?: string;
  /** Vertex AI JobService (gRPC, plaintext), `127.0.0.1:PORT`. */
  vertex?: string;
  /** Vertex AI REST base (what `gcloud ai` speaks), `http://127.0.0.1:PORT/`. */
  vertexRest?: string;
  /** Cloud TPU v2 REST base (what gcloud's `api_endpoint_overrides/tpu` takes), `http://127.0.0.1:PORT/`. */
  tpu?: string;
  /** Compute Engine endpoint (STRATO_COMPUTE_ENDPOINT), `http://127.0.0.1:PORT`. */
  compute?: string;
  /** Compute Engine v1 REST base (what gcloud's `api_endpoint_overrides/compute` takes), `http://127.0.0.1:PORT/compute/v1/`. */
  computeRest?: string;
  /** Cloud Logging (gRPC, plaintext), `http://127.0.0.1:PORT`. */
  logging?: string;
  /** Cloud Logging REST base (what gcloud speaks), `http://127.0.0.1:PORT/`. */
  loggingRest?: string;
  /** IAM and Resource Manager (STRATO_IAM_ENDPOINT, STRATO_RESOURCE_MANAGER_ENDPOINT), `http://127.0.0.1:PORT`. */
  iam?: string;
  /** The same as gcloud's `api_endpoint_overrides/iam` and `/cloudresourcemanager`, `http://127.0.0.1:PORT/`. */
  iamRest?: string;
  /** Artifact Registry (STRATO_ARTIFACT_REGISTRY_ENDPOINT), `http://127.0.0.1:PORT`. */
  artifactRegistry?: string;
}

export interface FakeCloud {
  endpoints: FakeCloudEndpoints;
  /** Environment a process exports to reach the fakes with stock clients (gcloud, rclone, client libraries). */
  env: Record<string, string>;
  /** The storage fake, for fault injection and inspection. */
  storage: FakeGcs | undefined;
  /** The Vertex AI fake, for fault injection (preemption, stockouts) and inspection. */
  vertex: FakeVertex | undefined;
  /** The Cloud TPU fake, for fault injection (stockouts, preemption) and inspection. */
  tpu: FakeTpu | undefined;
  /** The Compute Engine fake, for fault injection (stockouts, quotas, preemption) and inspection. */
  compute: FakeCompute | undefined;
  /** The Cloud Logging fake, for inspection of the entries it received. */
  logging: FakeLogging | undefined;
  /** The fake VMs of the fake Compute and fake TPU, when `boot` is on. */
  fleet: VmFleet | undefined;
  /** The IAM + Resource Manager fake, for inspection (accounts, project policies) and HTTP faults. */
  iam: FakeIam | undefined;
  /** The Artifact Registry fake, for inspection of its repositories. */
  artifactRegistry: FakeArtifactRegistry | undefined;
  close(): Promise<void>;
}

interface StartedService {
  name: keyof FakeCloudEndpoints;
  endpoint: string;
  env: Record<string, string>;
  close(): Promise<void>;
}

export async function startFakeCloud(options: FakeCloudOptions = {}): Promise<FakeCloud> {
  const host = options.host ?? '127.0.0.1';
  const services: StartedService[] = [];
  let storage: FakeGcs | undefined;
  let vertex: FakeVertex | undefined;
  let tpu: FakeTpu | undefined;
  let compute: FakeCompute | undefined;
  let logging: FakeLogging | undefined;
  let fleet: VmFleet | undefined;
  let iam: FakeIam | undefined;
  let artifactRegistry: FakeArtifactRegistry | undefined;
  try {
    if (options.storage !== false) {
      const gcs = await startFakeGcs({ host, ...options.storage });
      storage = gcs;
      services.push({
        name: 'storage',
        endpoint: gcs.endpoint,
        env: fakeGcsEnv(gcs.endpoint),
        close: () => gcs.close(),
      });
    }
    if (options.logging !== false) {
      const fake = await startFakeLogging({ host, ...options.logging });
      logging = fake;
      services.push({
        name: 'logging',
        endpoint: `http://${fake.endpoint}`,
        env: fakeLoggingEnv(fake),
        close: () => fake.close(),
      });
      services.push({ name: 'loggingRest', endpoint: fake.restUrl, env: {}, close: async () => {} });
    }
    if (options.vertex !== false) {
      // Vertex AI: replicas write their outputs to gs:// URIs, on the fake Cloud Storage when there is one.
      const replicaEnv: Record<string, string> = storage ? { STORAGE_EMULATOR_HOST: storage.endpoint } : {};
      const fake = await startFakeVertex({
        host,
        ...options.vertex,
        replicaEnv: { ...replicaEnv, ...options.vertex?.replicaEnv },
        // Vertex sends every replica line to Cloud Logging: here, to the fake one.
        ...(logging ? { logSink: (entries) => logging?.write(entries) } : {}),
      });
      vertex = fake;
      const env = fakeVertexEnv(fake);
      // With its scheme: a bare host:port means TLS to a Vertex client (and to STRATO_VERTEX_ENDPOINT).
      services.push({ name: 'vertex', endpoint: `http://${fake.endpoint}`, env, close: () => fake.close() });
      services.push({ name: 'vertexRest', endpoint: fake.restUrl, env: {}, close: async () => {} });
    }
    if (options.boot) {
      const vmOptions = options.boot === true ? {} : options.boot;
      const vms = new VmFleet({
        ...vmOptions,
        // A VM's programs reach the fake Cloud Storage as the fake Vertex's replicas do: the docker shim
        // passes the VM's environment on, and Strato's trainer helper stages gs:// through
        // STORAGE_EMULATOR_HOST (trainer-images/strato_trainer/staging.py). A test-double fact: a real
        // VM has no emulator, and its TensorFlow writes gs:// itself.
        env: { ...(storage ? fakeGcsEnv(storage.endpoint) : {}), ...vmOptions.env },
      });
      fleet = vms;
    }
    if (options.tpu !== false) {
      const fake = await startFakeTpu({ host, ...options.tpu, ...(fleet ? { boot: fleet } : {}) });
      tpu = fake;
      services.push({ name: 'tpu', endpoint: fake.url, env: fakeTpuEnv(fake), close: () => fake.close() });
    }
    if (options.compute !== false) {
      const fake = await startFakeCompute({ host, ...options.compute, ...(fleet ? { boot: fleet } : {}) });
      compute = fake;
      services.push({
        name: 'compute',
        endpoint: fake.endpoint,
        env: fakeComputeEnv(fake),
        close: () => fake.close(),
      });
      services.push({ name: 'computeRest', endpoint: fake.restUrl, env: {}, close: async () => {} });
    }
    if (options.iam !== false) {
      const fake = await startFakeIam({ host, ...options.iam });
      iam = fake;
      services.push({
        name: 'iam',
        endpoint: fake.endpoint,
        env: fakeIamEnv(fake),
        close: () => fake.close(),
      });
      services.push({ name: 'iamRest', endpoint: fake.restUrl, env: {}, close: async () => {} });
    }
    if (options.artifactRegistry !== false) {
      const fake = await startFakeArtifactRegistry({ host, ...options.artifactRegistry });
      artifactRegistry = fake;
      services.push({
        name: 'artifactRegistry',
        endpoint: fake.endpoint,
        env: fakeArtifactRegistryEnv(fake),
        close: () => fake.close(),
      });
    }
    // Further fakes start here the same way, each from its own folder.
  } catch (error) {
    await fleet?.close();
    await closeAll(services);
    throw error;
  }
  let closed: Promise<void> | undefined;
  return {
    endpoints: Object.fromEntries(services.map((s) => [s.name, s.endpoint])),
    env: Object.assign({}, ...services.map((s) => s.env)) as Record<string, string>,
    storage,
    vertex,
    tpu,
    compute,
    logging,
    fleet,
    iam,
    artifactRegistry,
    close() {
      // The VMs first: their scripts may still be uploading to the fake Cloud Storage.
      closed ??= (async () => {
        await fleet?.close();
        await closeAll(services);
      })();
      return closed;
    },
  };
}

async function closeAll(services: StartedService[]): Promise<void> {
  const results = await Promise.allSettled(services.map((s) => s.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
}
