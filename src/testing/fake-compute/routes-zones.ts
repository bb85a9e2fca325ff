/**
 * Zones and what they offer (machine types, accelerator types), and zone
 * operations, under `/compute/v1/projects/{project}/zones/…`. Instances are
 * in routes-instances.ts.
 */

import { notFound } from './errors.ts';
import { type ComputeRequest, page } from './http.ts';
import type { Json } from './operations.ts';
import type { ComputeContext } from './state.ts';
import {
  ACCELERATORS,
  findZone,
  type MachineTypeRow,
  machineTypesIn,
  ZONES,
  type ZoneRow,
} from './tables.ts';

type Answer = { status: number; body: Json } | Promise<{ status: number; body: Json }>;

function throw404(resource: string): never {
  throw notFound(resource);
}

function zoneJson(ctx: ComputeContext, project: string, zone: ZoneRow, index: number): Json {
  return {
    kind: 'compute#zone',
    id: String(2000 + index),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name: zone.name,
    description: zone.name,
    status: 'UP',
    region: `${ctx.base()}/projects/${project}/regions/${zone.region}`,
    selfLink: `${ctx.base()}/projects/${project}/zones/${zone.name}`,
    availableCpuPlatforms: ['Intel Cascade Lake', 'Intel Ice Lake', 'AMD Milan'],
    supportsPzs: false,
  };
}

function machineTypeJson(
  ctx: ComputeContext,
  project: string,
  zone: ZoneRow,
  row: MachineTypeRow,
  index: number,
): Json {
  const zoneUrl = `${ctx.base()}/projects/${project}/zones/${zone.name}`;
  return {
    kind: 'compute#machineType',
    id: String(800_000 + index),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name: row.name,
    description: `${row.guestCpus} vCPUs, ${Math.round(row.memoryMb / 102.4) / 10} GB RAM`,
    guestCpus: row.guestCpus,
    memoryMb: row.memoryMb,
    maximumPersistentDisks: 128,
    maximumPersistentDisksSizeGb: '263168',
    zone: zone.name,
    isSharedCpu: false,
    selfLink: `${zoneUrl}/machineTypes/${row.name}`,
    ...(row.gpus
      ? { accelerators: [{ guestAcceleratorType: row.gpus.type, guestAcceleratorCount: row.gpus.count }] }
      : {}),
  };
}

function acceleratorJson(
  ctx: ComputeContext,
  project: string,
  zone: ZoneRow,
  type: string,
  index: number,
): Json {
  const zoneUrl = `${ctx.base()}/projects/${project}/zones/${zone.name}`;
  return {
    kind: 'compute#acceleratorType',
    id: String(10_000 + index),
    creationTimestamp: '1969-12-31T16:00:00.000-08:00',
    name: type,
    description: ACCELERATORS[type]!.description,
    zone: zoneUrl,
    selfLink: `${zoneUrl}/acceleratorTypes/${type}`,
    maximumCardsPerInstance: ACCELERATORS[type]!.maxCards,
  };
}

export function routeZones(ctx: ComputeContext, request: ComputeRequest): Answer | undefined {
  const { method, segments, project } = request;
  if (segments[0] !== 'zones') return undefined;
  const [, zoneName, collection, name, extra] = segments;
  const ok = (body: Json) => ({ status: 200, body });
  if (!zoneName) {
    if (method !== 'GET') return undefined;
    return ok(
      page(
        request,
        'compute#zoneList',
        `${ctx.base()}/projects/${project}/zones`,
        ZONES.map((z, i) => zoneJson(ctx, project, z, i)),
      ),
    );
  }
  const zone = findZone(zoneName) ?? throw404(`projects/${project}/zones/${zoneName}`);
  const zoneUrl = `${ctx.base()}/projects/${project}/zones/${zone.name}`;
  if (!collection && method === 'GET') return ok(zoneJson(ctx, project, zone, ZONES.indexOf(zone)));
  if (collection === 'machineTypes' && method === 'GET') {
    const rows = machineTypesIn(zone).map((row, i) => machineTypeJson(ctx, project, zone, row, i));
    if (!name) return ok(page(request, 'compute#machineTypeList', `${zoneUrl}/machineTypes`, rows));
    return ok(
      rows.find((r) => r.name === name) ??
        throw404(`projects/${project}/zones/${zone.name}/machineTypes/${name}`),
    );
  }
  if (collection === 'acceleratorTypes' && method === 'GET') {
    const rows = zone.accelerators.map((type, i) => acceleratorJson(ctx, project, zone, type, i));
    if (!name) return ok(page(request, 'compute#acceleratorTypeList', `${zoneUrl}/acceleratorTypes`, rows));
    return ok(
      rows.find((r) => r.name === name) ??
        throw404(`projects/${project}/zones/${zone.name}/acceleratorTypes/${name}`),
    );
  }
  if (collection === 'operations') {
    const where = { project, scope: `zones/${zone.name}` };
    const missing = () => throw404(`projects/${project}/zones/${zone.name}/operations/${name}`);
    if (method === 'GET' && !name)
      return ok(page(request, 'compute#operationList', `${zoneUrl}/operations`, ctx.operations.list(where)));
    if (method === 'GET' && name) return ok(ctx.operations.get(where, name) ?? missing());
    if (method === 'POST' && name && extra === 'wait') {
      return ctx.operations.wait(where, name, request.gone).then((op) => ok(op ?? missing()));
    }
  }
  return undefined;
}
