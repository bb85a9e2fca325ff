/**
 * The `tpu.queued-resource` driver: a TPU slice made through a Cloud TPU
 * queued resource (https://cloud.google.com/tpu/docs/queued-resources).
 *
 * - Name: the queued resource and its node share one deterministic id,
 *   `<stack>-<resource id>` (`cloudName`), and the node carries the
 *   `strato-stack` label (queued resources have no labels of their own).
 * - create: queues the slice, or finds the one a crashed deploy queued
 *   (same name, same stack label) and waits for it; a FAILED one of ours
 *   holds nothing and is deleted and queued again. While waiting it reports
 *   the queued resource's state (WAITING_FOR_RESOURCES, PROVISIONING); once
 *   ACTIVE it returns the node's worker endpoints. A stockout (FAILED) says
 *   what to try.
 * - readMany: one list of queued resources and one of nodes per project and zone.
 * - update: labels, metadata and tags in place on the node (nodes.patch);
 *   anything else replaces the slice.
 * - delete: the queued resource with `force`, which deletes its node too.
 */

import type { google } from '@google-cloud/tpu/build/protos/protos.js';
import { isWorkKey } from '../../agent/layout.ts';
import { StratoError } from '../../errors.ts';
import { sleep } from '../../internal/sleep.ts';
import { tpuSliceHourlyPrice } from '../../spec/catalog/prices.ts';
import type {
  ActualResource,
  CloudRef,
  DesiredResource,
  DriverContext,
  FieldChange,
  RecordedResource,
  ResourceDriver,
} from '../types.ts';
import { createTpuClient, type TpuClient, type TpuClientOptions } from './tpu-client.ts';
import { isAlreadyExists, isNotFound, translateTpuError } from './tpu-errors.ts';
import {
  nodeSpecOf,
  outputsOf,
  propsOf,
  queuedResourceBody,
  queuedStateOf,
  stackLabelOf,
} from './tpu-queued-resource-body.ts';
import { TPU_QUEUED_RESOURCE_KIND } from './tpu-slice.ts';
import { TPU_MUTABLE_FIELDS, type TpuSliceProps } from './tpu-slice-props.ts';

export interface TpuDriverOptions extends TpuClientOptions {
  /** Between two reads of a queued resource while waiting; default 10 s (capacity waits are minutes). */
  pollIntervalMs?: number;
  /** A client to use instead of making one (tests share one). */
  client?: TpuClient;
}

type Queued = google.cloud.tpu.v2.IQueuedResource;
type Node = google.cloud.tpu.v2.INode;

const MAX_NAME = 63;

/** `<stack>-<id>` as a TPU resource id: lowercase letters, digits, hyphens; ≤ 63; a hash keeps long ones distinct. */
export function tpuCloudName(stack: string, id: string): string {
  const clean = `${stack}-${id}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-$/, '');
  if (clean.length <= MAX_NAME) return clean || 'strato';
  let hash = 0;
  for (const char of `${stack}/${id}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return `${clean.slice(0, MAX_NAME - 9).replace(/-$/, '')}-${hash.toString(36).padStart(8, '0').slice(0, 8)}`;
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Field changes between two prop sets; labels and metadata per key. */
export function diffTpuSlice(before: TpuSliceProps, after: TpuSliceProps): FieldChange[] {
  const changes: FieldChange[] = [];
  const keys = [
    ...new Set([...Object.keys(before), ...Object.keys(after)]),
  ].sort() as (keyof TpuSliceProps)[];
  for (const key of keys) {
    const from = before[key];
    const to = after[key];
    if (stableJson(from) === stableJson(to)) continue;
    const forcesReplace = !TPU_MUTABLE_FIELDS.includes(key);
    if ((key === 'labels' || key === 'metadata') && from && to) {
      const a = from as Record<string, string>;
      const b = to as Record<string, string>;
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
        if (a[k] !== b[k]) changes.push({ path: `${key}.${k}`, from: a[k], to: b[k], forcesReplace });
      }
    } else {
      changes.push({ path: key, from, to, forcesReplace });
    }
  }
  return changes;
}

function stockoutError(id: string, props: TpuSliceProps, queued: Queued): StratoError {
  const reason = queued.state?.failedData?.error?.message || 'the queued resource FAILED';
  const type = props.acceleratorType ?? `${props.generation} ${props.topology}`;
  const other = props.provisioning === 'spot' ? 'guaranteed (on-demand)' : 'spot';
  return new StratoError(
    'E_TRANSIENT',
    `TPU slice ${id} (${type} in ${props.zone}) could not be provisioned: ${reason}`,
    {
      hint:
        `no ${type} capacity came in ${props.zone}. Try: another zone that offers it (https://cloud.google.com/tpu/docs/regions-zones); ` +
        `provisioning: "${props.provisioning === 'spot' ? 'guaranteed' : 'spot'}" (${other} capacity is a separate pool); ` +
        'provisioning: "reserved" with a reservation (https://cloud.google.com/tpu/docs/reservations); or deploy again later ' +
        '(Strato deletes the failed queued resource and queues it anew)',
    },
  );
}

export function createTpuQueuedResourceDriver(
  options: TpuDriverOptions = {},
): ResourceDriver<TpuSliceProps> & {
  close(): Promise<void>;
} {
  const pollMs = options.pollIntervalMs ?? 10_000;
  let client: Promise<TpuClient> | undefined = options.client ? Promise.resolve(options.client) : undefined;
  const tpu = () => {
    client ??= createTpuClient(options);
    return client;
  };
  const parentOf = (ref: CloudRef) => `projects/${ref.project}/locations/${ref.location}`;
  const context = (action: string, ref: CloudRef) => ({ action, project: ref.project, zone: ref.location });

  async function call<T>(action: string, ref: CloudRef, run: (c: TpuClient) => Promise<T>): Promise<T> {
    try {
      return await run(await tpu());
    } catch (error) {
      throw translateTpuError(error, context(action, ref));
    }
  }

  async function findQueued(ref: CloudRef): Promise<Queued | undefined> {
    try {
      const [queued] = await (await tpu()).getQueuedResource({
        name: `${parentOf(ref)}/queuedResources/${ref.name}`,
      });
      return queued;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw translateTpuError(error, context(`reading queued resource ${ref.name}`, ref));
    }
  }

  async function findNode(ref: CloudRef): Promise<Node | undefined> {
    try {
      const [node] = await (await tpu()).getNode({ name: `${parentOf(ref)}/nodes/${ref.name}` });
      return node;
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw translateTpuError(error, context(`reading TPU node ${ref.name}`, ref));
    }
  }

  function actualOf(ref: CloudRef, queued: Queued, node: Node | undefined): ActualResource<TpuSliceProps> {
    const label = stackLabelOf(queued, node);
    return {
      ref,
      props: propsOf(queued, node, ref.project, ref.location),
      outputs: outputsOf(queued, node),
      ...(label !== undefined ? { stackLabel: label } : {}),
      status: queuedStateOf(queued),
    };
  }

  async function deleteQueued(ref: CloudRef, id: string, ctx: DriverContext): Promise<void> {
    const name = `${parentOf(ref)}/queuedResources/${ref.name}`;
    try {
      const [operation] = await (await tpu()).deleteQueuedResource({ name, force: true });
      ctx.onProgress?.({ id, status: 'DELETING' });
      await operation.promise();
    } catch (error) {
      if (isNotFound(error)) return;
      throw translateTpuError(error, context(`deleting queued resource ${ref.name}`, ref));
    }
  }

  /** Polls the queued resource until ACTIVE, reporting each new state; FAILED or SUSPENDED throws. */
  async function waitActive(resource: DesiredResource<TpuSliceProps>, ref: CloudRef, ctx: DriverContext) {
    let last = '';
    for (;;) {
      const queued = await findQueued(ref);
      if (!queued) {
        throw new StratoError(
          'E_CONFLICT',
          `queued resource ${ref.name} of ${resource.id} vanished while Strato waited for it`,
          {
            hint: 'something deleted it outside Strato; run the deploy again to queue it anew',
          },
        );
      }
      const state = queuedStateOf(queued);
      if (state !== last)
        ctx.onProgress?.({ id: resource.id, status: state, message: `queued resource ${ref.name}` });
      last = state;
      if (state === 'ACTIVE') return actualOf(ref, queued, await findNode(ref));
      if (state === 'FAILED') throw stockoutError(resource.id, resource.props, queued);
      if (state === 'SUSPENDING' || state === 'SUSPENDED' || state === 'DELETING') {
        throw new StratoError(
          'E_CONFLICT',
          `queued resource ${ref.name} of ${resource.id} is ${state} while Strato waited for it to be ACTIVE`,
          {
            hint:
              state === 'DELETING'
                ? 'it is being deleted outside Strato; run the deploy again once it is gone'
                : `its spot capacity was taken back; \`strato infra destroy\` then deploy again, or reset it: gcloud compute tpus queued-resources reset ${ref.name} --zone ${ref.location}`,
          },
        );
      }
      await sleep(pollMs, ctx.signal);
    }
  }

  return {
    kind: TPU_QUEUED_RESOURCE_KIND,

    cloudName: (resource, stack) => tpuCloudName(stack, resource.id),

    // Chips × the generation's chip-hour list price (spec/catalog/prices.ts), for a slice named by its type.
    hourlyCost: (resource) =>
      resource.props.acceleratorType ? tpuSliceHourlyPrice(resource.props.acceleratorType) : undefined,

    refOf(resource, ctx) {
      return {
        project: resource.props.project ?? ctx.project,
        location: resource.props.zone,
        name: tpuCloudName(ctx.stack, resource.id),
      };
    },

    async readMany(refs) {
      const found = new Map<string, ActualResource<TpuSliceProps>>();
      const groups = new Map<string, CloudRef[]>();
      for (const ref of refs) groups.set(parentOf(ref), [...(groups.get(parentOf(ref)) ?? []), ref]);
      await Promise.all(
        [...groups.entries()].map(async ([parent, group]) => {
          const first = group[0]!;
          const [[queuedList], [nodeList]] = await call(
            `listing TPU slices in ${first.location}`,
            first,
            (c) => Promise.all([c.listQueuedResources({ parent }), c.listNodes({ parent })]),
          );
          const queuedById = new Map(queuedList.map((q) => [q.name?.split('/').at(-1), q]));
          const nodeById = new Map(nodeList.map((n) => [n.name?.split('/').at(-1), n]));
          for (const ref of group) {
            const queued = queuedById.get(ref.name);
            if (queued) found.set(ref.name, actualOf(ref, queued, nodeById.get(ref.name)));
          }
        }),
      );
      return found;
    },

    diff: diffTpuSlice,

    async create(resource, ctx) {
      const ref = this.refOf(resource, ctx);
      const parent = parentOf(ref);
      let queued = await findQueued(ref);
      if (queued && stackLabelOf(queued) !== ctx.stack) {
        throw new StratoError(
          'E_CONFLICT',
          `queued resource ${ref.name} exists in ${ref.location} but is not Strato's stack ${ctx.stack}'s`,
          {
            hint: `Strato never adopts a resource silently: \`strato infra import ${resource.id} ${ref.name}\` to manage it, or delete it: gcloud compute tpus queued-resources delete ${ref.name} --zone ${ref.location} --force`,
          },
        );
      }
      if (queued && queuedStateOf(queued) === 'FAILED') {
        // A failed queued resource holds no TPUs: delete it and queue again, so a re-run converges.
        await deleteQueued(ref, resource.id, ctx);
        queued = undefined;
      }
      if (!queued) {
        const body = queuedResourceBody(resource.props, parent, ref.name, ctx);
        try {
          await (await tpu()).createQueuedResource({
            parent,
            queuedResourceId: ref.name,
            queuedResource: body,
          });
        } catch (error) {
          // Created by a request whose answer was lost, or by a concurrent deploy: read it back below.
          if (!isAlreadyExists(error))
            throw translateTpuError(error, context(`creating queued resource ${ref.name}`, ref));
        }
        queued = await findQueued(ref);
        if (!queued || stackLabelOf(queued) !== ctx.stack) {
          throw new StratoError(
            'E_CONFLICT',
            `queued resource ${ref.name} was created by someone else meanwhile`,
            {
              hint: `check it with: gcloud compute tpus queued-resources describe ${ref.name} --zone ${ref.location}`,
            },
          );
        }
      }
      if (ctx.noWait) {
        ctx.onProgress?.({
          id: resource.id,
          status: queuedStateOf(queued),
          message: 'not waiting (--no-wait)',
        });
        return actualOf(ref, queued, await findNode(ref));
      }
      return waitActive(resource, ref, ctx);
    },

    async update(resource, actual, changes, ctx) {
      if (changes.some((c) => c.forcesReplace)) {
        throw new StratoError(
          'E_INTERNAL',
          `update of ${resource.id} was asked for changes that need a replace`,
          {
            hint: 'the engine replaces a resource when a change forces it; report this',
          },
        );
      }
      const fields = [...new Set(changes.map((c) => c.path.split('.')[0]!))];
      const body = queuedResourceBody(resource.props, parentOf(actual.ref), actual.ref.name, ctx);
      const node = nodeSpecOf(body)!;
      const mask = [
        ...new Set(
          fields
            .map((f) => (f === 'startupScript' ? 'metadata' : f))
            .filter((f) => f === 'labels' || f === 'metadata' || f === 'tags'),
        ),
      ];
      // A deploy never takes a running job away from a standing slice: its work keys stay.
      const live = mask.includes('metadata') ? await findNode(actual.ref) : undefined;
      const work = Object.entries(live?.metadata ?? {}).filter(([key]) => isWorkKey(key));
      await call(`updating TPU node ${actual.ref.name}`, actual.ref, async (c) => {
        const [operation] = await c.updateNode({
          node: {
            name: `${parentOf(actual.ref)}/nodes/${actual.ref.name}`,
            labels: node.labels,
            metadata: { ...node.metadata, ...Object.fromEntries(work) },
            tags: node.tags,
          },
          updateMask: { paths: mask },
        });
        ctx.onProgress?.({ id: resource.id, status: 'UPDATING', message: mask.join(', ') });
        await operation.promise();
      });
      const queued = await findQueued(actual.ref);
      if (!queued)
        throw new StratoError('E_CONFLICT', `queued resource ${actual.ref.name} vanished during the update`);
      return actualOf(actual.ref, queued, await findNode(actual.ref));
    },

    async delete(recorded: RecordedResource<TpuSliceProps>, ctx) {
      await deleteQueued(recorded.ref, recorded.id, ctx);
    },

    async close() {
      if (client) await (await client).close();
    },
  };
}
