/**
 * Queued resources and their state machine
 * (https://cloud.google.com/tpu/docs/queued-resources):
 *
 *   ACCEPTED → WAITING_FOR_RESOURCES → PROVISIONING → ACTIVE
 *                       ↘ FAILED (stockout: capacity never came)
 *   ACTIVE → SUSPENDING → SUSPENDED (a spot slice preempted)
 *   any → DELETING → gone;  FAILED | SUSPENDED → reset → ACCEPTED …
 *
 * How long it waits for capacity, and whether capacity comes, is the
 * fake's capacity rules (`faults.ts`); without one it waits not at all.
 * PROVISIONING creates the node (one per node spec; the fake serves one),
 * which carries `queuedResource` and becomes READY when the queued resource
 * turns ACTIVE.
 */

import { ApiError, RPC_CODE } from './errors.ts';
import type { TpuFaultBook } from './faults.ts';
import type { Nodes } from './nodes.ts';
import { EMPTY_RESPONSE, type Operations, QUEUED_RESOURCE_TYPE, type Scheduler } from './operations.ts';
import type { QueuedResourceJson } from './types.ts';
import { checkId, checkNode, locationOf } from './validate.ts';

export interface QueuedTiming {
  /** ACCEPTED → WAITING_FOR_RESOURCES, and SUSPENDING → SUSPENDED. */
  acceptMs: number;
  /** The create operation's time to `done` (plus the faults' `operationDelayMs`). */
  operationMs: number;
}

const STATE_DATA: Record<string, string> = {
  ACCEPTED: 'acceptedData',
  WAITING_FOR_RESOURCES: 'waitingForResourcesData',
  PROVISIONING: 'provisioningData',
  ACTIVE: 'activeData',
  FAILED: 'failedData',
  SUSPENDING: 'suspendingData',
  SUSPENDED: 'suspendedData',
  DELETING: 'deletingData',
};

function tierOf(queued: QueuedResourceJson): 'spot' | 'guaranteed' | 'on-demand' {
  return queued.spot ? 'spot' : queued.guaranteed ? 'guaranteed' : 'on-demand';
}

export class QueuedResources {
  private readonly entries = new Map<string, QueuedResourceJson>();
  /** Bumped on delete and reset, so a timer of an earlier run of the machine does nothing. */
  private readonly epochs = new Map<string, number>();
  private readonly operations: Operations;
  private readonly scheduler: Scheduler;
  private readonly nodes: Nodes;
  private readonly faults: TpuFaultBook;
  private readonly timing: () => QueuedTiming;

  constructor(
    operations: Operations,
    scheduler: Scheduler,
    nodes: Nodes,
    faults: TpuFaultBook,
    timing: () => QueuedTiming,
  ) {
    this.operations = operations;
    this.scheduler = scheduler;
    this.nodes = nodes;
    this.faults = faults;
    this.timing = timing;
  }

  list(parent: string): QueuedResourceJson[] {
    locationOf(parent);
    return [...this.entries.values()].filter((q) => q.name!.startsWith(`${parent}/queuedResources/`));
  }

  get(name: string): QueuedResourceJson {
    const queued = this.entries.get(name);
    if (!queued) throw new ApiError('NOT_FOUND', `Resource '${name}' was not found`);
    return queued;
  }

  create(parent: string, id: string | undefined, body: QueuedResourceJson | undefined) {
    const { zone } = locationOf(parent);
    checkId(id, 'queued_resource_id');
    if (!body) throw new ApiError('INVALID_ARGUMENT', 'queued_resource is required');
    if (body.spot && body.guaranteed)
      throw new ApiError('INVALID_ARGUMENT', 'Only one of spot and guaranteed may be set');
    const specs = body.tpu?.nodeSpec ?? [];
    if (specs.length !== 1) {
      throw new ApiError(
        'INVALID_ARGUMENT',
        `tpu.node_spec must hold one node (the fake serves no multislice); got ${specs.length}`,
      );
    }
    const spec = specs[0]!;
    if (spec.parent !== parent) {
      throw new ApiError(
        'INVALID_ARGUMENT',
        `node_spec.parent "${spec.parent}" must be the queued resource's parent "${parent}"`,
      );
    }
    checkId(spec.nodeId, 'node_spec.node_id');
    const { acceleratorType } = checkNode(spec.node, zone);
    const name = `${parent}/queuedResources/${id}`;
    if (this.entries.has(name)) throw new ApiError('ALREADY_EXISTS', `Resource '${name}' already exists`);
    this.nodes.check(parent, spec.nodeId!, spec.node);
    const subject = { zone, acceleratorType, tier: tierOf(body), id: id! };
    const quota = this.faults.quotaFor(subject);
    if (quota) {
      throw new ApiError(
        'RESOURCE_EXHAUSTED',
        `Quota '${quota.quota ?? 'TPUPerProjectPerZoneForTPUAPI'}' exhausted. Limit 0 in zone ${zone} for ${acceleratorType}`,
      );
    }
    const queued: QueuedResourceJson = {
      ...structuredClone(body),
      name,
      createTime: new Date().toISOString(),
    };
    this.entries.set(name, queued);
    this.setState(queued, 'ACCEPTED');
    const operation = this.operations.start(parent, name, 'create');
    this.scheduler.after(this.timing().operationMs + this.faults.operationDelayMs, () =>
      this.operations.finish(operation, { response: { '@type': QUEUED_RESOURCE_TYPE, ...queued } }),
    );
    this.run(queued);
    return operation;
  }

  private setState(queued: QueuedResourceJson, state: string, extra: Record<string, unknown> = {}): void {
    queued.state = { state, stateInitiator: 'SERVICE', [STATE_DATA[state]!]: {}, ...extra };
  }

  private epoch(name: string): number {
    return this.epochs.get(name) ?? 0;
  }

  /** Drives one queued resource from ACCEPTED to ACTIVE or FAILED, by its capacity rule. */
  private run(queued: QueuedResourceJson): void {
    const name = queued.name!;
    const epoch = this.epoch(name);
    const live = () => this.epoch(name) === epoch && this.entries.get(name) === queued;
    const spec = queued.tpu!.nodeSpec![0]!;
    const { zone } = locationOf(name);
    const acceleratorType = checkNode(spec.node, zone).acceleratorType;
    const rule = this.faults.capacityFor({
      zone,
      acceleratorType,
      tier: tierOf(queued),
      id: name.split('/').at(-1)!,
    });
    this.scheduler.after(this.timing().acceptMs, () => {
      if (!live()) return;
      this.setState(queued, 'WAITING_FOR_RESOURCES');
      this.scheduler.after(rule?.waitMs ?? 0, () => {
        if (!live()) return;
        if (rule?.outcome === 'stockout') {
          this.setState(queued, 'FAILED', {
            failedData: {
              error: {
                code: RPC_CODE.RESOURCE_EXHAUSTED,
                message: `There is no more capacity in the zone "${zone}" for ${acceleratorType} (ZONE_RESOURCE_POOL_EXHAUSTED); you can try in another zone where Cloud TPU Nodes are offered (see https://cloud.google.com/tpu/docs/regions-zones)`,
              },
            },
          });
          return;
        }
        this.setState(queued, 'PROVISIONING');
        const node = {
          ...spec.node!,
          schedulingConfig: {
            ...spec.node!.schedulingConfig,
            ...(queued.spot ? { spot: true } : {}),
          },
        };
        try {
          this.nodes.add(spec.parent!, spec.nodeId!, node, { queuedResource: name }, () => {
            if (live()) this.setState(queued, 'ACTIVE');
          });
        } catch (error) {
          // A node of that id made meanwhile by nodes.create: the service fails the queued resource.
          const message = error instanceof Error ? error.message : String(error);
          this.setState(queued, 'FAILED', {
            failedData: { error: { code: RPC_CODE.ALREADY_EXISTS, message } },
          });
        }
      });
    });
  }

  delete(name: string, force: boolean) {
    const queued = this.get(name);
    const nodeName = `${locationOf(name).parent}/nodes/${queued.tpu!.nodeSpec![0]!.nodeId}`;
    const hasNode = this.nodes.has(nodeName);
    if (hasNode && !force) {
      throw new ApiError(
        'FAILED_PRECONDITION',
        `Queued resource '${name}' has a node (${nodeName}); delete it with force=true to delete its node too`,
      );
    }
    this.epochs.set(name, this.epoch(name) + 1);
    this.setState(queued, 'DELETING', { stateInitiator: 'USER' });
    const operation = this.operations.start(locationOf(name).parent, name, 'delete');
    const done = () => {
      this.entries.delete(name);
      this.operations.finish(operation, { response: EMPTY_RESPONSE });
    };
    if (hasNode) this.nodes.remove(nodeName, () => this.scheduler.after(this.faults.operationDelayMs, done));
    else this.scheduler.after(this.timing().operationMs + this.faults.operationDelayMs, done);
    return operation;
  }

  reset(name: string) {
    const queued = this.get(name);
    const state = queued.state?.state;
    if (state !== 'FAILED' && state !== 'SUSPENDED') {
      throw new ApiError(
        'FAILED_PRECONDITION',
        `Queued resource '${name}' is ${state}; only FAILED or SUSPENDED ones can be reset`,
      );
    }
    const operation = this.operations.start(locationOf(name).parent, name, 'reset');
    const nodeName = `${locationOf(name).parent}/nodes/${queued.tpu!.nodeSpec![0]!.nodeId}`;
    const restart = () => {
      this.epochs.set(name, this.epoch(name) + 1);
      this.setState(queued, 'ACCEPTED', { stateInitiator: 'USER' });
      this.operations.finish(operation, { response: { '@type': QUEUED_RESOURCE_TYPE, ...queued } });
      this.run(queued);
    };
    if (this.nodes.has(nodeName)) this.nodes.remove(nodeName, restart);
    else this.scheduler.after(this.timing().operationMs, restart);
    return operation;
  }

  /** A spot slice taken back: its node PREEMPTED, the queued resource SUSPENDING, then SUSPENDED. */
  preempt(name: string): void {
    const queued = this.get(name);
    if (!queued.spot)
      throw new Error(`fake Cloud TPU: queued resource ${name} is not spot, so it cannot be preempted`);
    const nodeName = `${locationOf(name).parent}/nodes/${queued.tpu!.nodeSpec![0]!.nodeId}`;
    this.nodes.preempt(nodeName);
    this.setState(queued, 'SUSPENDING');
    const epoch = this.epoch(name);
    this.scheduler.after(this.timing().acceptMs, () => {
      if (this.epoch(name) === epoch && this.entries.get(name) === queued) this.setState(queued, 'SUSPENDED');
    });
  }
}
