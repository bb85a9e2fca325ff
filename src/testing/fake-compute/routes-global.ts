/**
 * Global resources: VPC networks, firewall rules, images (with
 * `getFromFamily`) and global operations, under
 * `/compute/v1/projects/{project}/global/…`.
 */

import { alreadyExists, inUse, invalidField, notFound } from './errors.ts';
import { type ComputeRequest, page } from './http.ts';
import { checkName, resolveImage } from './instance-insert.ts';
import type { Json } from './operations.ts';
import { type ComputeContext, nowStamp, parseRef } from './state.ts';
import { IMAGE_FAMILIES, REGIONS } from './tables.ts';

type Answer = { status: number; body: Json } | Promise<{ status: number; body: Json }>;

const PROTOCOLS = new Set(['tcp', 'udp', 'icmp', 'esp', 'ah', 'sctp', 'ipip', 'all']);
const PORTS = /^\d{1,5}(-\d{1,5})?$/;
const CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(\/(\d|[12]\d|3[0-2]))?$/;

export function routeGlobal(ctx: ComputeContext, request: ComputeRequest): Answer | undefined {
  const { method, segments } = request;
  if (segments[0] !== 'global') return undefined;
  const [, collection, name, extra] = segments;
  const ok = (body: Json) => ({ status: 200, body });
  if (collection === 'networks') {
    if (method === 'POST' && !name) return ok(insertNetwork(ctx, request));
    if (method === 'GET' && !name) {
      return ok(
        page(
          request,
          'compute#networkList',
          `${ctx.base()}/projects/${request.project}/global/networks`,
          values(ctx.networks, request.project),
        ),
      );
    }
    if (method === 'GET' && name) return ok(getOr404(ctx.networks, request.project, name, 'global/networks'));
    if (method === 'DELETE' && name) return ok(deleteNetwork(ctx, request.project, name));
  }
  if (collection === 'firewalls') {
    if (method === 'POST' && !name) return ok(insertFirewall(ctx, request));
    if (method === 'GET' && !name) {
      return ok(
        page(
          request,
          'compute#firewallList',
          `${ctx.base()}/projects/${request.project}/global/firewalls`,
          values(ctx.firewalls, request.project),
        ),
      );
    }
    if (method === 'GET' && name)
      return ok(getOr404(ctx.firewalls, request.project, name, 'global/firewalls'));
    if (method === 'PATCH' && name) return ok(patchFirewall(ctx, request, name));
    if (method === 'DELETE' && name) return ok(deleteFirewall(ctx, request.project, name));
  }
  if (collection === 'images' && method === 'GET' && name)
    return ok(getImage(ctx, request.project, name, extra));
  if (collection === 'operations') {
    const where = { project: request.project, scope: 'global' };
    if (method === 'GET' && !name) {
      return ok(
        page(
          request,
          'compute#operationList',
          `${ctx.base()}/projects/${request.project}/global/operations`,
          ctx.operations.list(where),
        ),
      );
    }
    if (method === 'GET' && name)
      return ok(
        ctx.operations.get(where, name) ?? throw404(`projects/${request.project}/global/operations/${name}`),
      );
    if (method === 'POST' && name && extra === 'wait') {
      return ctx.operations
        .wait(where, name, request.gone)
        .then((op) => ok(op ?? throw404(`projects/${request.project}/global/operations/${name}`)));
    }
  }
  return undefined;
}

function throw404(resource: string): never {
  throw notFound(resource);
}

function values(map: Map<string, Json>, project: string): Json[] {
  return [...map.entries()].filter(([key]) => key.startsWith(`${project}/`)).map(([, value]) => value);
}

function getOr404(map: Map<string, Json>, project: string, name: string, path: string): Json {
  return map.get(`${project}/${name}`) ?? throw404(`projects/${project}/${path}/${name}`);
}

function globalOperation(
  ctx: ComputeContext,
  project: string,
  type: string,
  target: Json,
  work: () => void,
): Json {
  return ctx.operations.start(
    { project, scope: 'global' },
    type,
    { link: String(target.selfLink), id: String(target.id) },
    () => {
      work();
      return undefined;
    },
  );
}

function insertNetwork(ctx: ComputeContext, request: ComputeRequest): Json {
  const { body, project } = request;
  const name = checkName('resource.name', body.name);
  if (ctx.networks.has(`${project}/${name}`))
    throw alreadyExists(`projects/${project}/global/networks/${name}`);
  const selfLink = `${ctx.base()}/projects/${project}/global/networks/${name}`;
  const auto = body.autoCreateSubnetworks === true;
  const network: Json = {
    kind: 'compute#network',
    id: ctx.nextId(),
    creationTimestamp: nowStamp(),
    name,
    ...(body.description ? { description: body.description } : {}),
    selfLink,
    autoCreateSubnetworks: auto,
    subnetworks: auto
      ? REGIONS.map((r) => `${ctx.base()}/projects/${project}/regions/${r}/subnetworks/${name}`)
      : [],
    routingConfig: {
      routingMode: ((body.routingConfig as Json | undefined)?.routingMode as string) ?? 'REGIONAL',
    },
    mtu: Number(body.mtu ?? 1460),
    networkFirewallPolicyEnforcementOrder: 'AFTER_CLASSIC_FIREWALL',
  };
  // The network exists (and conflicts) from the insert on; the operation reports when it is ready.
  ctx.networks.set(`${project}/${name}`, network);
  return globalOperation(ctx, project, 'insert', network, () => {});
}

function deleteNetwork(ctx: ComputeContext, project: string, name: string): Json {
  const network = getOr404(ctx.networks, project, name, 'global/networks');
  const link = String(network.selfLink);
  const firewall = values(ctx.firewalls, project).find((f) => f.network === link);
  if (firewall)
    throw inUse(
      `projects/${project}/global/networks/${name}`,
      `projects/${project}/global/firewalls/${firewall.name}`,
    );
  const instance = [...ctx.instances.values()].find((i) =>
    (i.networkInterfaces as Json[]).some((n) => n.network === link),
  );
  if (instance)
    throw inUse(
      `projects/${project}/global/networks/${name}`,
      String(instance.selfLink).replace(/^.*\/projects\//, 'projects/'),
    );
  return globalOperation(ctx, project, 'delete', network, () => ctx.networks.delete(`${project}/${name}`));
}

function checkRules(body: Json): void {
  const allowed = (body.allowed ?? []) as Json[];
  if (allowed.length === 0 && ((body.denied ?? []) as Json[]).length === 0) {
    throw invalidField('resource.allowed', '', 'A firewall rule must allow or deny something.');
  }
  allowed.forEach((rule, index) => {
    const protocol = String(rule.IPProtocol ?? '');
    if (!PROTOCOLS.has(protocol) && !/^\d{1,3}$/.test(protocol)) {
      throw invalidField(
        `resource.allowed[${index}].IPProtocol`,
        protocol,
        'Allowed: tcp, udp, icmp, esp, ah, sctp, ipip, all, or a protocol number.',
      );
    }
    for (const port of (rule.ports ?? []) as string[]) {
      if (!PORTS.test(port))
        throw invalidField(`resource.allowed[${index}].ports`, port, 'Ports are a number or a range N-M.');
    }
  });
  for (const range of (body.sourceRanges ?? []) as string[]) {
    const match = CIDR.exec(range);
    if (!match || match.slice(1, 5).some((octet) => Number(octet) > 255)) {
      throw invalidField('resource.sourceRanges', range, 'Must be an IPv4 CIDR range, e.g. 10.128.0.0/9.');
    }
  }
}

function insertFirewall(ctx: ComputeContext, request: ComputeRequest): Json {
  const { body, project } = request;
  const name = checkName('resource.name', body.name);
  if (ctx.firewalls.has(`${project}/${name}`))
    throw alreadyExists(`projects/${project}/global/firewalls/${name}`);
  const ref = parseRef(String(body.network ?? 'global/networks/default'));
  const network =
    ctx.networks.get(`${ref.project ?? project}/${ref.name}`) ??
    throw404(`projects/${ref.project ?? project}/global/networks/${ref.name}`);
  checkRules(body);
  const firewall: Json = {
    kind: 'compute#firewall',
    id: ctx.nextId(),
    creationTimestamp: nowStamp(),
    name,
    ...(body.description ? { description: body.description } : {}),
    network: network.selfLink,
    priority: Number(body.priority ?? 1000),
    direction: body.direction ?? 'INGRESS',
    sourceRanges: body.sourceRanges ?? (body.sourceTags ? [] : ['0.0.0.0/0']),
    ...(body.sourceTags ? { sourceTags: body.sourceTags } : {}),
    ...(body.targetTags ? { targetTags: body.targetTags } : {}),
    allowed: body.allowed ?? [],
    ...(body.denied ? { denied: body.denied } : {}),
    logConfig: { enable: false },
    disabled: body.disabled === true,
    selfLink: `${ctx.base()}/projects/${project}/global/firewalls/${name}`,
  };
  ctx.firewalls.set(`${project}/${name}`, firewall);
  return globalOperation(ctx, project, 'insert', firewall, () => {});
}

/** PATCH: the fields sent replace the rule's (https://cloud.google.com/compute/docs/reference/rest/v1/firewalls/patch). */
function patchFirewall(ctx: ComputeContext, request: ComputeRequest, name: string): Json {
  const { body, project } = request;
  const firewall = getOr404(ctx.firewalls, project, name, 'global/firewalls');
  if (
    body.network !== undefined &&
    parseRef(String(body.network)).name !== parseRef(String(firewall.network)).name
  ) {
    throw invalidField('resource.network', body.network, 'The network of a firewall rule cannot be changed.');
  }
  checkRules({ ...firewall, ...body });
  const changed = Object.fromEntries(
    ['allowed', 'denied', 'sourceRanges', 'sourceTags', 'targetTags', 'description', 'priority', 'disabled']
      .filter((k) => body[k] !== undefined)
      .map((k) => [k, body[k]]),
  );
  return globalOperation(ctx, project, 'patch', firewall, () => Object.assign(firewall, changed));
}

function deleteFirewall(ctx: ComputeContext, project: string, name: string): Json {
  const firewall = getOr404(ctx.firewalls, project, name, 'global/firewalls');
  return globalOperation(ctx, project, 'delete', firewall, () => ctx.firewalls.delete(`${project}/${name}`));
}

function getImage(ctx: ComputeContext, project: string, name: string, family: string | undefined): Json {
  const path =
    family !== undefined && name === 'family' ? `global/images/family/${family}` : `global/images/${name}`;
  const row = resolveImage(`projects/${project}/${path}`) ?? throw404(`projects/${project}/${path}`);
  return {
    kind: 'compute#image',
    id: String(7_000_000_000_000 + IMAGE_FAMILIES.indexOf(row)),
    creationTimestamp: '2025-11-20T00:00:00.000-08:00',
    name: row.image,
    family: row.family,
    status: 'READY',
    diskSizeGb: String(row.diskSizeGb),
    architecture: 'X86_64',
    selfLink: `${ctx.base()}/projects/${row.project}/global/images/${row.image}`,
  };
}
