/**
 * A CustomJob as REST JSON (what `gcloud ai custom-jobs create` sends) → the
 * message the fake's service takes, so a create through the REST face is
 * validated exactly as one through gRPC. The proto3 JSON mapping: 64-bit
 * integers may come as strings, durations as `"3600s"`; a value of the wrong
 * type is refused as the service refuses it ("Invalid value at …").
 * (https://protobuf.dev/programming-guides/json/)
 */

import { status } from '@grpc/grpc-js';
import type { CustomJobMessage, DurationMessage, WorkerPoolSpecMessage } from './messages.ts';
import { RpcError } from './service.ts';

type Json = Record<string, unknown>;

function invalid(path: string, value: unknown): RpcError {
  return new RpcError(
    status.INVALID_ARGUMENT,
    `Invalid value at '${path}' (${typeof value}), ${JSON.stringify(value)}`,
  );
}

function objectAt(value: unknown, path: string): Json | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'object' || Array.isArray(value)) throw invalid(path, value);
  return value as Json;
}

function durationOf(value: unknown, path: string): DurationMessage | undefined {
  if (value === undefined) return undefined;
  const match = typeof value === 'string' ? /^(-?\d+)(?:\.(\d{1,9}))?s$/.exec(value) : null;
  if (!match) throw invalid(path, value);
  return { seconds: match[1]!, nanos: Number((match[2] ?? '').padEnd(9, '0')) };
}

function integerOf(value: unknown, path: string): number | undefined {
  if (value === undefined) return undefined;
  const number = typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;
  if (typeof number !== 'number' || !Number.isInteger(number)) throw invalid(path, value);
  return number;
}

function poolOf(value: unknown, index: number): WorkerPoolSpecMessage {
  const path = `custom_job.job_spec.worker_pool_specs[${index}]`;
  const pool = objectAt(value, path) ?? {};
  const machine = objectAt(pool.machineSpec, `${path}.machine_spec`);
  const replicaCount = integerOf(pool.replicaCount, `${path}.replica_count`);
  const acceleratorCount = integerOf(machine?.acceleratorCount, `${path}.machine_spec.accelerator_count`);
  return {
    ...(pool as WorkerPoolSpecMessage),
    ...(machine
      ? {
          machineSpec: {
            ...(machine as WorkerPoolSpecMessage['machineSpec']),
            ...(acceleratorCount !== undefined ? { acceleratorCount } : {}),
          },
        }
      : {}),
    ...(replicaCount !== undefined ? { replicaCount: String(replicaCount) } : {}),
  };
}

export function customJobFromJson(body: unknown): CustomJobMessage {
  const job = objectAt(body, 'custom_job');
  if (!job) throw new RpcError(status.INVALID_ARGUMENT, 'The request body must be a CustomJob.');
  const spec = objectAt(job.jobSpec, 'custom_job.job_spec');
  const scheduling = objectAt(spec?.scheduling, 'custom_job.job_spec.scheduling');
  const pools = spec?.workerPoolSpecs;
  if (pools !== undefined && !Array.isArray(pools))
    throw invalid('custom_job.job_spec.worker_pool_specs', pools);
  const timeout = durationOf(scheduling?.timeout, 'custom_job.job_spec.scheduling.timeout');
  const maxWait = durationOf(scheduling?.maxWaitDuration, 'custom_job.job_spec.scheduling.max_wait_duration');
  return {
    ...(job as CustomJobMessage),
    ...(spec
      ? {
          jobSpec: {
            ...(spec as CustomJobMessage['jobSpec']),
            ...(pools ? { workerPoolSpecs: pools.map(poolOf) } : {}),
            ...(scheduling
              ? {
                  scheduling: {
                    ...(scheduling as Json),
                    ...(timeout ? { timeout } : {}),
                    ...(maxWait ? { maxWaitDuration: maxWait } : {}),
                  },
                }
              : {}),
          },
        }
      : {}),
  };
}
