/**
 * What the fake Compute Engine holds: networks, firewalls and instances by
 * project (and zone), the operations on them, and how resources name each
 * other (self links, and the partial URLs a request may use instead).
 */

import type { CapacityFaults } from './faults.ts';
import type { Json, Operations } from './operations.ts';

/**
 * What happens to a VM's guest, for whoever runs it (the fake VMs of
 * `fake-vm/`, when booting is on); keys are `project/zone/name`.
 */
export interface InstanceEvents {
  /** The instance reached RUNNING: created, or started again. Its guest boots. */
  running(key: string, instance: Json): void;
  /** It is stopping (a stop, a spot preemption) or being deleted: its guest shuts down. */
  halted(key: string, instance: Json, reason: 'stop' | 'preempt' | 'delete'): void;
}

export interface ComputeContext {
  networks: Map<string, Json>;
  firewalls: Map<string, Json>;
  instances: Map<string, Json>;
  operations: Operations;
  capacity: CapacityFaults;
  /** `http://127.0.0.1:PORT/compute/v1`: the prefix of every self link. */
  base(): string;
  /** A fresh numeric id, as a decimal string (the API's uint64 ids are strings in JSON). */
  nextId(): string;
  /** Operations already answered for a `requestId`, so a retried insert is not done twice. */
  requests: Map<string, Json>;
  /** Guest attributes the VM set through its metadata server, by instance id: `namespace/key` → value. */
  guestAttributes: Map<string, Map<string, string>>;
  /** What the VM wrote to its serial console (port 1), by instance id. */
  serialOutput: Map<string, string>;
  /** Who runs the VMs' guests; none: VMs are records only. */
  events: InstanceEvents | undefined;
}

export function createComputeContext(
  base: () => string,
  operations: Operations,
  capacity: CapacityFaults,
): ComputeContext {
  let ids = 4_000_000_000_000_000;
  return {
    networks: new Map(),
    firewalls: new Map(),
    instances: new Map(),
    operations,
    capacity,
    base,
    nextId: () => String(++ids),
    requests: new Map(),
    guestAttributes: new Map(),
    serialOutput: new Map(),
    events: undefined,
  };
}

/** A reference as a request may write it: a full URL, `projects/P/…`, or the part after the project. */
export interface ParsedRef {
  project?: string;
  /** The path after `projects/P/`, e.g. `global/networks/default` or `zones/us-central1-a/machineTypes/n1-standard-4`. */
  path: string;
  /** The last segment. */
  name: string;
}

export function parseRef(value: string): ParsedRef {
  let text = value.replace(/^https?:\/\/[^/]+/, '').replace(/^\/?compute\/(v1|beta|alpha)\//, '');
  text = text.replace(/^\//, '');
  let project: string | undefined;
  const match = /^projects\/([^/]+)\/(.*)$/.exec(text);
  if (match) {
    project = match[1];
    text = match[2]!;
  }
  const segments = text.split('/');
  return { ...(project ? { project } : {}), path: text, name: segments[segments.length - 1]! };
}

export const nowStamp = () => new Date().toISOString().replace('Z', '-00:00');
