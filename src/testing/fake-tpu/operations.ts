/**
 * Long-running operations, as the TPU API returns them from create, delete,
 * stop, start, update and reset: `projects/P/locations/Z/operations/operation-N`
 * with `OperationMetadata`, polled with GET until `done`, then holding the
 * resource (or Empty) as `response`, or an `error`.
 * (https://cloud.google.com/tpu/docs/reference/rest/v2/projects.locations.operations)
 */

import { ApiError } from './errors.ts';
import type { OperationJson } from './types.ts';

const METADATA_TYPE = 'type.googleapis.com/google.cloud.tpu.v2.OperationMetadata';

/** Timers of one fake: stopped all at once when it closes, so no callback runs after. */
export class Scheduler {
  private timers = new Set<NodeJS.Timeout>();

  after(ms: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, ms);
    timer.unref();
    this.timers.add(timer);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}

export class Operations {
  private readonly operations = new Map<string, OperationJson>();
  private next = 1;

  /** Starts an operation on `target` (a resource name) with `verb` (`create`, `delete`, …). */
  start(parent: string, target: string, verb: string): OperationJson {
    const name = `${parent}/operations/operation-${Date.now()}-${this.next++}`;
    const operation: OperationJson = {
      name,
      metadata: {
        '@type': METADATA_TYPE,
        createTime: new Date().toISOString(),
        target,
        verb,
        cancelRequested: false,
        apiVersion: 'v2',
      },
      done: false,
    };
    this.operations.set(name, operation);
    return operation;
  }

  /** Ends it with a response message (`@type` + fields) or an error. */
  finish(
    operation: OperationJson,
    outcome: { response: Record<string, unknown> } | { error: { code: number; message: string } },
  ): void {
    operation.done = true;
    operation.metadata.endTime = new Date().toISOString();
    if ('response' in outcome) operation.response = outcome.response;
    else operation.error = outcome.error;
  }

  get(name: string): OperationJson {
    const operation = this.operations.get(name);
    if (!operation) throw new ApiError('NOT_FOUND', `Operation "${name}" not found`);
    return operation;
  }

  list(parent: string): OperationJson[] {
    return [...this.operations.values()].filter((o) => o.name.startsWith(`${parent}/`));
  }
}

export const EMPTY_RESPONSE = { '@type': 'type.googleapis.com/google.protobuf.Empty' };
export const NODE_TYPE = 'type.googleapis.com/google.cloud.tpu.v2.Node';
export const QUEUED_RESOURCE_TYPE = 'type.googleapis.com/google.cloud.tpu.v2.QueuedResource';
