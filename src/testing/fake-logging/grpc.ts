/**
 * The gRPC face of the fake Cloud Logging (google.logging.v2.LoggingServiceV2,
 * loaded from the protos `@google-cloud/logging` ships), which the Node
 * client speaks by default: WriteLogEntries and ListLogEntries; every other
 * method answers UNIMPLEMENTED. Messages are converted to the REST shape the
 * service keeps (Timestamp ↔ RFC 3339, Struct ↔ plain object).
 */

import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { formatNanos, type LogEntryRecord } from './entries.ts';
import { type FakeLoggingService, LoggingRpcError, type WriteRequest } from './service.ts';

const LOGGING_PROTO = 'google/logging/v2/logging.proto';

function protoRoots(): string[] {
  const require = createRequire(import.meta.url);
  const logging = dirname(require.resolve('@google-cloud/logging/package.json'));
  // The protos live in @google-cloud/logging-api, the client's own dependency: resolve it from there.
  const fromLogging = createRequire(join(logging, 'package.json'));
  const api = dirname(fromLogging.resolve('@google-cloud/logging-api/package.json'));
  const gaxMain = fromLogging.resolve('google-gax');
  const gax = gaxMain.slice(0, gaxMain.lastIndexOf('/build/'));
  return [join(api, 'build', 'protos'), join(gax, 'build', 'protos')];
}

export async function loadLoggingService(): Promise<grpc.ServiceDefinition> {
  const definition = await protoLoader.load(LOGGING_PROTO, {
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    oneofs: true,
    includeDirs: protoRoots(),
  });
  const root = grpc.loadPackageDefinition(definition) as unknown as {
    google: { logging: { v2: { LoggingServiceV2: grpc.ServiceClientConstructor } } };
  };
  return root.google.logging.v2.LoggingServiceV2.service;
}

interface TimestampMessage {
  seconds?: string | number;
  nanos?: number;
}

type StructValue = {
  nullValue?: unknown;
  numberValue?: number;
  stringValue?: string;
  boolValue?: boolean;
  structValue?: { fields?: Record<string, StructValue> };
  listValue?: { values?: StructValue[] };
};

function fromValue(value: StructValue): unknown {
  if (value.structValue) return fromStruct(value.structValue);
  if (value.listValue) return (value.listValue.values ?? []).map(fromValue);
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.numberValue !== undefined) return value.numberValue;
  if (value.boolValue !== undefined) return value.boolValue;
  return null;
}

function fromStruct(struct: { fields?: Record<string, StructValue> }): Record<string, unknown> {
  return Object.fromEntries(Object.entries(struct.fields ?? {}).map(([k, v]) => [k, fromValue(v)]));
}

function toValue(value: unknown): StructValue {
  if (value === null || value === undefined) return { nullValue: 'NULL_VALUE' };
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'number') return { numberValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (Array.isArray(value)) return { listValue: { values: value.map(toValue) } };
  return { structValue: toStruct(value as Record<string, unknown>) };
}

function toStruct(object: Record<string, unknown>): { fields: Record<string, StructValue> } {
  return { fields: Object.fromEntries(Object.entries(object).map(([k, v]) => [k, toValue(v)])) };
}

function timestampText(t: TimestampMessage | undefined): string | undefined {
  if (!t) return undefined;
  return formatNanos(BigInt(t.seconds ?? 0) * 1_000_000_000n + BigInt(t.nanos ?? 0));
}

function timestampMessage(text: string): TimestampMessage {
  const match = /^(.*)\.(\d{9})Z$/.exec(text);
  const seconds = Math.floor(Date.parse(`${match?.[1] ?? text}Z`) / 1000);
  return { seconds: String(seconds), nanos: Number(match?.[2] ?? 0) };
}

interface EntryMessage
  extends Omit<Partial<LogEntryRecord>, 'timestamp' | 'receiveTimestamp' | 'jsonPayload'> {
  timestamp?: TimestampMessage;
  receiveTimestamp?: TimestampMessage;
  jsonPayload?: { fields?: Record<string, StructValue> };
}

function entryFromMessage(message: EntryMessage): Partial<LogEntryRecord> {
  // `payload` is proto-loader's name of the set oneof member, not a field.
  const {
    timestamp,
    receiveTimestamp: _received,
    jsonPayload,
    payload: _oneof,
    ...rest
  } = message as EntryMessage & {
    payload?: string;
  };
  const time = timestampText(timestamp);
  return {
    ...rest,
    ...(time ? { timestamp: time } : {}),
    ...(jsonPayload ? { jsonPayload: fromStruct(jsonPayload) } : {}),
  };
}

function entryToMessage(entry: LogEntryRecord): EntryMessage {
  const { timestamp, receiveTimestamp, jsonPayload, ...rest } = entry;
  return {
    ...rest,
    timestamp: timestampMessage(timestamp),
    receiveTimestamp: timestampMessage(receiveTimestamp),
    ...(jsonPayload ? { jsonPayload: toStruct(jsonPayload) } : {}),
  };
}

export function loggingHandlers(
  definition: grpc.ServiceDefinition,
  service: FakeLoggingService,
): grpc.UntypedServiceImplementation {
  const implemented: Record<string, (request: never) => unknown> = {
    WriteLogEntries: (request: WriteRequest & { entries?: EntryMessage[] }) => {
      service.write({ ...request, entries: (request.entries ?? []).map(entryFromMessage) });
      return {};
    },
    ListLogEntries: (request) => {
      const { entries, nextPageToken } = service.list(request);
      return { entries: entries.map(entryToMessage), nextPageToken };
    },
  };
  const handlers: grpc.UntypedServiceImplementation = {};
  for (const method of Object.keys(definition)) {
    const handler = implemented[method];
    const { requestStream, responseStream } = definition[method]!;
    if (requestStream || responseStream) {
      // TailLogEntries (a bidi stream): not faked; clients poll ListLogEntries instead.
      handlers[method] = (call: grpc.ServerDuplexStream<unknown, unknown>) =>
        call.emit('error', {
          code: grpc.status.UNIMPLEMENTED,
          details: `fake Cloud Logging does not implement ${method}`,
        });
      continue;
    }
    handlers[method] = (
      call: grpc.ServerUnaryCall<unknown, unknown>,
      callback: grpc.sendUnaryData<unknown>,
    ) => {
      if (!handler) {
        callback({
          code: grpc.status.UNIMPLEMENTED,
          details: `fake Cloud Logging does not implement ${method}`,
        });
        return;
      }
      try {
        callback(null, handler(call.request as never));
      } catch (error) {
        const code = error instanceof LoggingRpcError ? error.code : grpc.status.INTERNAL;
        callback({ code, details: (error as Error).message });
      }
    };
  }
  return handlers;
}
