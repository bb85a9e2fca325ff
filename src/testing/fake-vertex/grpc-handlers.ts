/**
 * gRPC handlers of the fake: JobService's CustomJob methods and
 * google.longrunning.Operations, each behind the RPC fault injector. Other
 * JobService methods answer UNIMPLEMENTED.
 */

import * as grpc from '@grpc/grpc-js';
import { sleep } from '../../internal/sleep.ts';
import type { VertexFaults } from './faults.ts';
import type { NameRequest } from './messages.ts';
import { type FakeJobService, RpcError } from './service.ts';

type Handler = (request: never) => unknown;

function unary(
  method: string,
  faults: VertexFaults,
  handler: Handler,
): grpc.handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    void (async () => {
      const fault = faults.onCall(method);
      if (fault && typeof fault === 'object' && 'delayMs' in fault) await sleep(fault.delayMs);
      if (fault && typeof fault === 'object' && 'code' in fault) {
        callback({
          code: fault.code,
          details: fault.message ?? `fake Vertex: injected ${grpc.status[fault.code]}`,
        });
        return;
      }
      try {
        const response = await handler(call.request as never);
        if (fault === 'lose-response') {
          callback({
            code: grpc.status.UNAVAILABLE,
            details: 'Connection reset by peer (fake Vertex: the request was handled, its response lost)',
          });
          return;
        }
        callback(null, response);
      } catch (error) {
        if (error instanceof RpcError) callback({ code: error.code, details: error.message });
        else
          callback({ code: grpc.status.INTERNAL, details: `fake Vertex bug: ${(error as Error).message}` });
      }
    })();
  };
}

const EMPTY = {};

export function jobServiceHandlers(
  definition: grpc.ServiceDefinition,
  service: FakeJobService,
): grpc.UntypedServiceImplementation {
  const { faults } = service;
  const implemented: Record<string, Handler> = {
    CreateCustomJob: (request) => service.create(request),
    GetCustomJob: (request: NameRequest) => service.get(request.name),
    ListCustomJobs: (request) => service.list(request),
    CancelCustomJob: (request: NameRequest) => {
      service.cancel(request.name);
      return EMPTY;
    },
    DeleteCustomJob: (request: NameRequest) => service.delete(request.name),
  };
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    const handler = implemented[method];
    handlers[method] = handler
      ? unary(method, faults, handler)
      : (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
          callback({ code: grpc.status.UNIMPLEMENTED, details: `fake Vertex does not implement ${method}` });
  }
  return handlers;
}

export function operationsHandlers(
  definition: grpc.ServiceDefinition,
  service: FakeJobService,
): grpc.UntypedServiceImplementation {
  const { faults } = service;
  const implemented: Record<string, Handler> = {
    GetOperation: (request: NameRequest) => service.getOperation(request.name),
    DeleteOperation: (request: NameRequest) => {
      if (!service.operations.delete(request.name ?? '')) {
        throw new RpcError(grpc.status.NOT_FOUND, `Operation ${request.name} is not found.`);
      }
      return EMPTY;
    },
    CancelOperation: () => EMPTY,
    WaitOperation: (request: NameRequest) => service.getOperation(request.name),
    ListOperations: (request: NameRequest) => ({ operations: service.operations.list(request.name ?? '') }),
  };
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    handlers[method] = unary(method, faults, implemented[method] ?? (() => EMPTY));
  }
  return handlers;
}
