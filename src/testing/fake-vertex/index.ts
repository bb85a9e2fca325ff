/** The fake Vertex AI: JobService (gRPC and REST) on loopback that runs its jobs as local processes. */

export {
  findImageCommand,
  type ImageCommands,
  imageCommandTable,
  parseImageCommand,
  trainerHelperCommand,
} from '../image-commands.ts';
export type { RpcFault, RpcFaultRule, StockoutRule, VertexFaults } from './faults.ts';
export type { FakeVertexTiming } from './job-run.ts';
export type { ReplicaLogEntry, ReplicaLogSink } from './log-forwarder.ts';
export {
  DEFAULT_TIMING,
  type FakeVertex,
  type FakeVertexClientOptions,
  type FakeVertexOptions,
  startFakeVertex,
} from './server.ts';

/**
 * Environment that points clients at a fake Vertex: the vertex provider
 * through `STRATO_VERTEX_ENDPOINT` (`http://` = plaintext gRPC), and
 * `gcloud ai` through its REST endpoint override.
 */
export function fakeVertexEnv(fake: { endpoint: string; restUrl: string }): Record<string, string> {
  return {
    STRATO_VERTEX_ENDPOINT: `http://${fake.endpoint}`,
    CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM: fake.restUrl,
  };
}
