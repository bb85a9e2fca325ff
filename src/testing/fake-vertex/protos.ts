/**
 * The Vertex AI JobService and google.longrunning.Operations definitions,
 * loaded from the protos the installed `@google-cloud/aiplatform` ships (and
 * google-gax's common protos it imports), so the fake speaks exactly the wire
 * format the real client library sends.
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

const JOB_SERVICE_PROTO = 'google/cloud/aiplatform/v1/job_service.proto';
const OPERATIONS_PROTO = 'google/longrunning/operations.proto';

/**
 * How messages appear in handlers: camelCase fields as the client writes
 * them, enums by name, 64-bit integers as strings, unset fields absent.
 */
const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: false,
  longs: String,
  enums: String,
  defaults: false,
  oneofs: true,
};

function protoRoots(): string[] {
  const require = createRequire(import.meta.url);
  const aiplatform = dirname(require.resolve('@google-cloud/aiplatform/package.json'));
  // google-gax is aiplatform's dependency, not ours: resolve it from there.
  const gaxMain = createRequire(join(aiplatform, 'package.json')).resolve('google-gax');
  const gax = gaxMain.slice(0, gaxMain.lastIndexOf('/build/'));
  return [join(aiplatform, 'build', 'protos'), join(gax, 'build', 'protos')];
}

export interface VertexProtos {
  jobService: grpc.ServiceDefinition;
  operations: grpc.ServiceDefinition;
}

export async function loadVertexProtos(): Promise<VertexProtos> {
  const definition = await protoLoader.load([JOB_SERVICE_PROTO, OPERATIONS_PROTO], {
    ...LOADER_OPTIONS,
    includeDirs: protoRoots(),
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    google: {
      cloud: { aiplatform: { v1: { JobService: grpc.ServiceClientConstructor } } };
      longrunning: { Operations: grpc.ServiceClientConstructor };
    };
  };
  return {
    jobService: root.google.cloud.aiplatform.v1.JobService.service,
    operations: root.google.longrunning.Operations.service,
  };
}

/** The directories holding the protos, for the REST gateway's JSON mapping. */
export function vertexProtoRoots(): string[] {
  return protoRoots();
}
