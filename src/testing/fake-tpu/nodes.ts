/**
 * TPU VM nodes: created directly (`nodes.create`) or by a queued resource,
 * each with one network endpoint per worker host (internal IPs from a /24
 * per node), and their states: CREATING → READY, STOPPING → STOPPED,
 * STARTING → READY, DELETING, PREEMPTED (a spot or preemptible node taken back).
 * (https://cloud.google.com/tpu/docs/reference/rest/v2/projects.locations.nodes)
 */

import { ApiError } from './errors.ts';
import { EMPTY_RESPONSE, NODE_TYPE, type Operations, type Scheduler } from './operations.ts';
import { hostsOf } from './tables.ts';
import type { NodeJson } from './types.ts';
import { checkId, checkLabels, checkNode, locationOf } from './validate.ts';

/** TF's gRPC port on every TPU VM worker, as `networkEndpoints[].port` reports it. */
const WORKER_PORT = 8470;
/** Node fields `nodes.patch` may change (https://cloud.google.com/tpu/docs/reference/rest/v2/projects.locations.nodes/patch). */
const UPDATABLE = new Set([
  'description',
  'labels',
  'metadata',
  'tags',
  'networkConfig',
  'shieldedInstanceConfig',
]);

export interface NodeTiming {
  /** CREATING → READY. */
  provisionMs: number;
  /** Stop, start and delete. */
  operationMs: number;
}

export interface GuestAttribute {
  namespace: string;
  key: string;
  value: string;
}

/** What happens to a node's worker VMs, for whoever runs their guests (the fake VMs of `fake-vm/`). */
export interface NodeEvents {
  /** The node is READY (created, or started again): its workers boot. */
  ready(name: string, node: NodeJson): void;
  /** It is stopping, preempted or being deleted: its workers shut down. */
  halted(name: string, node: NodeJson, reason: 'stop' | 'preempt' | 'delete'): void;
}

interface NodeEntry {
  json: NodeJson;
  /** Guest attributes by worker index. */
  guest: Map<number, GuestAttribute[]>;
}

export class Nodes {
  private readonly entries = new Map<string, NodeEntry>();
  private subnet = 0;

  private readonly operations: Operations;
  private readonly scheduler: Scheduler;
  private readonly timing: () => NodeTiming;
  /** Who runs the workers' guests; none: nodes are records only. */
  events: NodeEvents | undefined;

  constructor(operations: Operations, scheduler: Scheduler, timing: () => NodeTiming) {
    this.operations = operations;
    this.scheduler = scheduler;
    this.timing = timing;
  }

  list(parent: string): NodeJson[] {
    locationOf(parent);
    return [...this.entries.values()]
      .map((e) => e.json)
      .filter((n) => n.name!.startsWith(`${parent}/nodes/`));
  }

  get(name: string): NodeJson {
    return this.entry(name).json;
  }

  private entry(name: string): NodeEntry {
    const entry = this.entries.get(name);
    if (!entry) throw new ApiError('NOT_FOUND', `Resource '${name}' was not found`);
    return entry;
  }

  has(name: string): boolean {
    return this.entries.has(name);
  }

  /** Checks a node to create; throws what the service would answer. */
  check(parent: string, nodeId: string | undefined, node: NodeJson | undefined): string {
    const { zone } = locationOf(parent);
    checkId(nodeId, 'node_id');
    checkNode(node, zone);
    const name = `${parent}/nodes/${nodeId}`;
    if (this.entries.has(name)) throw new ApiError('ALREADY_EXISTS', `Resource '${name}' already exists`);
    return name;
  }

  /** Adds a node in CREATING; it becomes READY after `provisionMs`, then `onReady` runs. */
  add(
    parent: string,
    nodeId: string,
    node: NodeJson,
    extra: Partial<NodeJson> = {},
    onReady?: () => void,
  ): NodeJson {
    const name = this.check(parent, nodeId, node);
    const { zone } = locationOf(parent);
    const resolved = checkNode(node, zone);
    const subnet = ++this.subnet;
    const hosts = hostsOf(resolved.generation, resolved.size);
    const json: NodeJson = {
      ...structuredClone(node),
      ...extra,
      name,
      acceleratorType: resolved.acceleratorType,
      state: 'CREATING',
      health: 'HEALTHY',
      apiVersion: 'V2',
      createTime: new Date().toISOString(),
      cidrBlock: `10.${128 + (subnet >> 8)}.${subnet & 255}.0/24`,
      networkConfig: { network: 'default', subnetwork: 'default', ...node.networkConfig },
      serviceAccount: {
        email: 'default',
        scope: ['https://www.googleapis.com/auth/cloud-platform'],
        ...node.serviceAccount,
      },
      networkEndpoints: Array.from({ length: hosts }, (_, worker) => ({
        ipAddress: `10.${128 + (subnet >> 8)}.${subnet & 255}.${worker + 2}`,
        port: WORKER_PORT,
        accessConfig: node.networkConfig?.enableExternalIps ? { externalIp: `203.0.113.${worker + 2}` } : {},
      })),
    };
    this.entries.set(name, { json, guest: new Map() });
    this.scheduler.after(this.timing().provisionMs, () => {
      if (json.state !== 'CREATING') return;
      json.state = 'READY';
      onReady?.();
      this.events?.ready(name, json);
    });
    return json;
  }

  create(parent: string, nodeId: string | undefined, node: NodeJson | undefined) {
    const name = this.check(parent, nodeId, node);
    const operation = this.operations.start(parent, name, 'create');
    const json = this.add(parent, nodeId!, node!, {}, () =>
      this.operations.finish(operation, { response: { '@type': NODE_TYPE, ...json } }),
    );
    return operation;
  }

  /** Removes a node after `operationMs` (DELETING meanwhile); `onGone` runs once it is gone. */
  remove(name: string, onGone?: () => void): void {
    const entry = this.entry(name);
    entry.json.state = 'DELETING';
    this.events?.halted(name, entry.json, 'delete');
    this.scheduler.after(this.timing().operationMs, () => {
      this.entries.delete(name);
      onGone?.();
    });
  }

  delete(name: string) {
    const node = this.get(name);
    if (node.queuedResource) {
      throw new ApiError(
        'FAILED_PRECONDITION',
        `Node '${name}' was created by queued resource '${node.queuedResource}'; delete the queued resource instead`,
      );
    }
    const operation = this.operations.start(locationOf(name).parent, name, 'delete');
    this.remove(name, () => this.operations.finish(operation, { response: EMPTY_RESPONSE }));
    return operation;
  }

  /** Stop (READY → STOPPING → STOPPED) or start (STOPPED → STARTING → READY). */
  transition(name: string, verb: 'stop' | 'start') {
    const node = this.get(name);
    const [from, via, to] =
      verb === 'stop' ? ['READY', 'STOPPING', 'STOPPED'] : ['STOPPED', 'STARTING', 'READY'];
    if (node.state !== from) {
      throw new ApiError(
        'FAILED_PRECONDITION',
        `Node '${name}' is ${node.state}; it can ${verb} only when ${from}`,
      );
    }
    node.state = via;
    if (verb === 'stop') this.events?.halted(name, node, 'stop');
    const operation = this.operations.start(locationOf(name).parent, name, verb);
    this.scheduler.after(this.timing().operationMs, () => {
      node.state = to;
      if (to === 'READY') this.events?.ready(name, node);
      this.operations.finish(operation, { response: { '@type': NODE_TYPE, ...node } });
    });
    return operation;
  }

  update(name: string, updateMask: string, patch: NodeJson) {
    const node = this.get(name);
    const fields = updateMask
      .split(',')
      .map((f) => f.trim().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()));
    for (const field of fields) {
      if (!UPDATABLE.has(field)) throw new ApiError('INVALID_ARGUMENT', `Field "${field}" cannot be updated`);
    }
    if (fields.includes('labels')) checkLabels(patch.labels);
    const operation = this.operations.start(locationOf(name).parent, name, 'update');
    this.scheduler.after(this.timing().operationMs, () => {
      for (const field of fields) {
        if (patch[field] === undefined) delete node[field];
        else node[field] = structuredClone(patch[field]);
      }
      this.operations.finish(operation, { response: { '@type': NODE_TYPE, ...node } });
    });
    return operation;
  }

  preempt(name: string): void {
    const node = this.get(name);
    if (!node.schedulingConfig?.spot && !node.schedulingConfig?.preemptible) {
      throw new Error(
        `fake Cloud TPU: node ${name} is neither spot nor preemptible, so it cannot be preempted`,
      );
    }
    node.state = 'PREEMPTED';
    this.events?.halted(name, node, 'preempt');
  }

  /** One guest attribute of one worker, as its VM's metadata server reads it back. */
  guestAttribute(name: string, worker: number, namespace: string, key: string): string | undefined {
    return this.entries
      .get(name)
      ?.guest.get(worker)
      ?.find((a) => a.namespace === namespace && a.key === key)?.value;
  }

  /** Sets a guest attribute a worker's VM would publish (`namespace/key`). */
  setGuestAttribute(name: string, worker: number, attribute: GuestAttribute): void {
    const entry = this.entry(name);
    const list = entry.guest.get(worker) ?? [];
    entry.guest.set(worker, [
      ...list.filter((a) => !(a.namespace === attribute.namespace && a.key === attribute.key)),
      attribute,
    ]);
  }

  guestAttributes(name: string, queryPath = '', workerIds: string[] = []) {
    const entry = this.entry(name);
    const workers = entry.json.networkEndpoints!.map((_, index) => index);
    const chosen = workerIds.length ? workerIds.map(Number) : workers;
    const [namespace, key] = queryPath.split('/');
    return {
      guestAttributes: chosen.map((worker) => ({
        queryPath,
        queryValue: {
          items: (entry.guest.get(worker) ?? []).filter(
            (a) => (!namespace || a.namespace === namespace) && (!key || a.key === key),
          ),
        },
      })),
    };
  }
}
