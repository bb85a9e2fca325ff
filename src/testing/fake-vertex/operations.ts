/**
 * Long-running operations (`google.longrunning.Operation`) the fake hands
 * out for DeleteCustomJob. An operation is done from its first poll on, so
 * clients go through GetOperation as they do against the real service.
 * The metadata and response are `Any` messages whose type URLs name the real
 * types; their bodies are empty (all fields default), which every client
 * decodes.
 */

import type { AnyMessage, OperationMessage } from './messages.ts';

const TYPE_PREFIX = 'type.googleapis.com/';
export const DELETE_METADATA_TYPE = `${TYPE_PREFIX}google.cloud.aiplatform.v1.DeleteOperationMetadata`;
export const EMPTY_TYPE = `${TYPE_PREFIX}google.protobuf.Empty`;

function emptyAny(typeUrl: string): AnyMessage {
  return { typeUrl, value: Buffer.alloc(0) };
}

interface StoredOperation {
  name: string;
  polls: number;
  metadataType: string;
  responseType: string;
}

export class OperationStore {
  private readonly operations = new Map<string, StoredOperation>();
  private nextId = 1;

  /** A new operation under `resourceName`, done once polled. */
  create(resourceName: string, metadataType: string, responseType = EMPTY_TYPE): OperationMessage {
    const name = `${resourceName}/operations/${this.nextId++}`;
    const stored = { name, polls: 0, metadataType, responseType };
    this.operations.set(name, stored);
    return this.message(stored);
  }

  /** The operation's current state, or undefined when there is no such operation. */
  poll(name: string): OperationMessage | undefined {
    const stored = this.operations.get(name);
    if (!stored) return undefined;
    stored.polls++;
    return this.message(stored);
  }

  delete(name: string): boolean {
    return this.operations.delete(name);
  }

  list(prefix: string): OperationMessage[] {
    return [...this.operations.values()].filter((o) => o.name.startsWith(prefix)).map((o) => this.message(o));
  }

  private message(stored: StoredOperation): OperationMessage {
    const done = stored.polls > 0;
    return {
      name: stored.name,
      metadata: emptyAny(stored.metadataType),
      done,
      ...(done ? { response: emptyAny(stored.responseType) } : {}),
    };
  }
}
