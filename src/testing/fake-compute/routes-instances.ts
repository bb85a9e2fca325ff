/**
 * VM instances: insert, get, list, aggregatedList, delete, stop, start,
 * setLabels, setMetadata, getGuestAttributes and getSerialPortOutput, under `/compute/v1/projects/{project}/zones/{zone}/instances`
 * and `/compute/v1/projects/{project}/aggregated/instances`. Every change is
 * an operation; the instance shows the states in between (PROVISIONING,
 * STAGING, STOPPING) until its operation is DONE.
 */

import { fingerprintMismatch, invalidField, notFound } from './errors.ts';
import { type ComputeRequest, page } from './http.ts';
import { buildInstance, checkLabels, fingerprintOf } from './instance-insert.ts';
import type { Json, OperationFailure } from './operations.ts';
import { type ComputeContext, nowStamp, parseRef } from './state.ts';
import { findZone, ZONES } from './tables.ts';

type Answer = { status: number; body: Json };

function throw404(resource: string): never {
  throw notFound(resource);
}

export function routeInstances(ctx: ComputeContext, request: ComputeRequest): Answer | undefined {
  const { method, segments, project } = request;
  const ok = (body: Json) => ({ status: 200, body });
  if (segments[0] === 'aggregated' && segments[1] === 'instances' && method === 'GET') {
    return ok(aggregatedList(ctx, request));
  }
  if (segments[0] !== 'zones' || segments[2] !== 'instances') return undefined;
  const [, zoneName, , name, verb] = segments;
  const zone = findZone(zoneName!);
  if (!zone) {
    if (method === 'POST' && !name) throw invalidField('zone', zoneName, 'Unknown zone.');
    throw404(`projects/${project}/zones/${zoneName}`);
  }
  const zoneUrl = `${ctx.base()}/projects/${project}/zones/${zone.name}`;
  if (!name) {
    if (method === 'GET')
      return ok(
        page(request, 'compute#instanceList', `${zoneUrl}/instances`, inZone(ctx, project, zone.name)),
      );
    if (method === 'POST') return ok(insert(ctx, request, zone.name));
    return undefined;
  }
  const key = `${project}/${zone.name}/${name}`;
  const instance =
    ctx.instances.get(key) ?? throw404(`projects/${project}/zones/${zone.name}/instances/${name}`);
  const operate = (type: string, work: () => OperationFailure | undefined) =>
    ok(
      ctx.operations.start(
        { project, scope: `zones/${zone.name}` },
        type,
        { link: String(instance.selfLink), id: String(instance.id) },
        work,
      ),
    );
  if (method === 'GET' && !verb) return ok(instance);
  if (method === 'GET' && verb === 'getGuestAttributes') return ok(guestAttributes(ctx, request, instance));
  if (method === 'GET' && verb === 'serialPort') return ok(serialPort(ctx, request, instance));
  if (method === 'DELETE' && !verb) {
    instance.status = 'STOPPING';
    ctx.events?.halted(key, instance, 'delete');
    return operate('delete', () => {
      ctx.instances.delete(key);
      ctx.guestAttributes.delete(String(instance.id));
      ctx.serialOutput.delete(String(instance.id));
      return undefined;
    });
  }
  if (method !== 'POST') return undefined;
  switch (verb) {
    case 'stop':
      if (instance.status === 'RUNNING') {
        instance.status = 'STOPPING';
        ctx.events?.halted(key, instance, 'stop');
      }
      return operate('stop', () => {
        instance.status = 'TERMINATED';
        instance.lastStopTimestamp = nowStamp();
        return undefined;
      });
    case 'start':
      if (instance.status === 'TERMINATED') instance.status = 'STAGING';
      return operate('start', () => {
        const wasRunning = instance.status === 'RUNNING';
        instance.status = 'RUNNING';
        instance.lastStartTimestamp = nowStamp();
        if (!wasRunning) ctx.events?.running(key, instance);
        return undefined;
      });
    case 'setLabels': {
      const labels = checkLabels('labels', request.body.labels);
      if (request.body.labelFingerprint !== instance.labelFingerprint) throw fingerprintMismatch('labels');
      return operate('setLabels', () => {
        instance.labels = labels;
        instance.labelFingerprint = fingerprintOf(labels);
        return undefined;
      });
    }
    case 'setMetadata': {
      const current = instance.metadata as Json;
      if (request.body.fingerprint !== current.fingerprint) throw fingerprintMismatch('metadata');
      const items = (request.body.items ?? []) as Json[];
      return operate('setMetadata', () => {
        instance.metadata = { kind: 'compute#metadata', items, fingerprint: fingerprintOf(items) };
        return undefined;
      });
    }
    default:
      return undefined;
  }
}

/**
 * `instances.getGuestAttributes`: what the VM published under `queryPath`
 * (`namespace/` or `namespace/key`), or one `variableKey`; the service
 * answers 404 for a key never set.
 */
function guestAttributes(ctx: ComputeContext, request: ComputeRequest, instance: Json): Json {
  const values = ctx.guestAttributes.get(String(instance.id)) ?? new Map<string, string>();
  const selfLink = `${instance.selfLink}/getGuestAttributes`;
  const variableKey = request.query.get('variableKey');
  if (variableKey) {
    const value = values.get(variableKey);
    if (value === undefined) throw404(`guestAttributes/${variableKey}`);
    return { kind: 'compute#guestAttributes', variableKey, variableValue: value, selfLink };
  }
  const queryPath = request.query.get('queryPath') ?? '';
  const items = [...values.entries()]
    .filter(([path]) => path.startsWith(queryPath))
    .map(([path, value]) => {
      const [namespace, key] = path.split('/') as [string, string];
      return { namespace, key, value };
    });
  if (queryPath && items.length === 0) throw404(`guestAttributes/${queryPath}`);
  return { kind: 'compute#guestAttributes', queryPath, queryValue: { items }, selfLink };
}

/** `instances.getSerialPortOutput` (port 1): the console from byte `start` on, and where the next read starts. */
function serialPort(ctx: ComputeContext, request: ComputeRequest, instance: Json): Json {
  const contents = ctx.serialOutput.get(String(instance.id)) ?? '';
  const start = Math.min(Number(request.query.get('start') ?? 0) || 0, contents.length);
  return {
    kind: 'compute#serialPortOutput',
    contents: contents.slice(start),
    start: String(start),
    next: String(contents.length),
    selfLink: `${instance.selfLink}/serialPort`,
  };
}

function inZone(ctx: ComputeContext, project: string, zone: string): Json[] {
  const prefix = `${project}/${zone}/`;
  return [...ctx.instances.entries()].filter(([key]) => key.startsWith(prefix)).map(([, value]) => value);
}

function insert(ctx: ComputeContext, request: ComputeRequest, zoneName: string): Json {
  const { project, body } = request;
  const requestId = request.query.get('requestId');
  // The same requestId answers with the first operation: a retried insert does not make a second VM.
  const seen = requestId ? ctx.requests.get(requestId) : undefined;
  if (seen) return ctx.operations.get({ project, scope: `zones/${zoneName}` }, String(seen.name)) ?? seen;
  const zone = findZone(zoneName)!;
  const instance = buildInstance(ctx, project, zone, body);
  const key = `${project}/${zone.name}/${instance.name}`;
  ctx.instances.set(key, instance);
  const scheduling = instance.scheduling as Json;
  const failure = ctx.capacity.onInsert({
    zone: zone.name,
    region: zone.region,
    machineType: parseRef(String(instance.machineType)).name,
    provisioningModel: scheduling.provisioningModel === 'SPOT' ? 'SPOT' : 'STANDARD',
  });
  const operation = ctx.operations.start(
    { project, scope: `zones/${zone.name}` },
    'insert',
    { link: String(instance.selfLink), id: String(instance.id) },
    () => {
      if (failure) {
        ctx.instances.delete(key);
        return failure;
      }
      instance.status = 'RUNNING';
      instance.lastStartTimestamp = nowStamp();
      ctx.events?.running(key, instance);
      return undefined;
    },
  );
  if (requestId) ctx.requests.set(requestId, operation);
  instance.status = 'STAGING';
  return operation;
}

function aggregatedList(ctx: ComputeContext, request: ComputeRequest): Json {
  const { project } = request;
  const items: Record<string, Json> = {};
  for (const zone of ZONES) {
    const instances = inZone(ctx, project, zone.name);
    items[`zones/${zone.name}`] =
      instances.length > 0
        ? { instances }
        : {
            warning: {
              code: 'NO_RESULTS_ON_PAGE',
              message: "There are no results for scope 'zones/" + zone.name + "' on this page.",
              data: [{ key: 'scope', value: `zones/${zone.name}` }],
            },
          };
  }
  return {
    kind: 'compute#instanceAggregatedList',
    id: `projects/${project}/aggregated/instances`,
    items,
    selfLink: `${ctx.base()}/projects/${project}/aggregated/instances`,
  };
}
