/**
 * `instances.insert`: the checks Compute Engine makes before it accepts a
 * VM, from the fake's own tables (tables.ts), and the instance as `get`
 * will show it. Each refusal uses the service's wording
 * (`Invalid value for field '…': '…'. …`) so a user reading a Strato error
 * built from it sees what gcloud would show.
 */

import { alreadyExists, invalidField, notFound } from './errors.ts';
import type { Json } from './operations.ts';
import { type ComputeContext, nowStamp, parseRef } from './state.ts';
import {
  ACCELERATORS,
  findMachineType,
  IMAGE_FAMILIES,
  LABEL_KEY,
  LABEL_VALUE,
  N1_GPU_COUNTS,
  RESOURCE_NAME,
  takesAttachedGpus,
  type ZoneRow,
} from './tables.ts';

/** `PROJECT_NUMBER-compute@developer.gserviceaccount.com`, with the fake's one project number. */
export const DEFAULT_SERVICE_ACCOUNT = '123456789012-compute@developer.gserviceaccount.com';

export function checkName(field: string, name: unknown): string {
  if (typeof name !== 'string' || !RESOURCE_NAME.test(name)) {
    throw invalidField(field, name ?? '', "Must be a match of regex '(?:[a-z](?:[-a-z0-9]{0,61}[a-z0-9])?)'");
  }
  return name;
}

export function checkLabels(field: string, labels: unknown): Record<string, string> {
  const entries = Object.entries((labels ?? {}) as Record<string, unknown>);
  if (entries.length > 64)
    throw invalidField(field, `${entries.length} labels`, 'At most 64 labels are allowed.');
  for (const [key, value] of entries) {
    if (!LABEL_KEY.test(key))
      throw invalidField(`${field}.key`, key, 'Label keys must start with a lowercase letter.');
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      throw invalidField(
        `${field}.value`,
        value,
        'Label values may contain lowercase letters, digits, _ and -.',
      );
    }
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The image a boot disk's `sourceImage` names: `projects/P/global/images/family/F` or `…/images/NAME`. */
export function resolveImage(sourceImage: string): (typeof IMAGE_FAMILIES)[number] | undefined {
  const ref = parseRef(sourceImage);
  const family = /^global\/images\/family\/([^/]+)$/.exec(ref.path)?.[1];
  const image = /^global\/images\/([^/]+)$/.exec(ref.path)?.[1];
  return IMAGE_FAMILIES.find(
    (row) => (ref.project ?? row.project) === row.project && (row.family === family || row.image === image),
  );
}

function checkGpus(body: Json, zone: ZoneRow, machineType: string, guestCpus: number): number {
  const accelerators = (body.guestAccelerators ?? []) as {
    acceleratorType?: string;
    acceleratorCount?: number;
  }[];
  if (accelerators.length === 0) return 0;
  const machine = findMachineType(zone, machineType)!;
  if (machine.gpus) {
    throw invalidField(
      'resource.guestAccelerators',
      accelerators.map((a) => a.acceleratorType).join(','),
      `Machine type ${machineType} comes with ${machine.gpus.count} ${machine.gpus.type}; guestAccelerators must be empty.`,
    );
  }
  if (!takesAttachedGpus(machineType)) {
    throw invalidField(
      'resource.guestAccelerators',
      accelerators[0]?.acceleratorType,
      `Machine type ${machineType} does not support accelerators.`,
    );
  }
  let total = 0;
  accelerators.forEach((accelerator, index) => {
    const field = `resource.guestAccelerators[${index}]`;
    const type = parseRef(accelerator.acceleratorType ?? '').name;
    if (!zone.accelerators.includes(type) || !ACCELERATORS[type]) {
      throw invalidField(
        `${field}.acceleratorType`,
        accelerator.acceleratorType,
        `Accelerator type '${type}' does not exist in zone '${zone.name}'.`,
      );
    }
    const count = Number(accelerator.acceleratorCount ?? 0);
    const limits = N1_GPU_COUNTS[type];
    const maxVcpus = limits?.[count];
    if (!limits || maxVcpus === undefined) {
      const allowed = limits ? Object.keys(limits).join(', ') : 'none on N1';
      throw invalidField(
        `${field}.acceleratorCount`,
        String(count),
        `Accelerator count ${count} of ${type} is not allowed on N1; allowed: ${allowed}.`,
      );
    }
    if (guestCpus > maxVcpus) {
      throw invalidField(
        'resource.machineType',
        machineType,
        `${count} x ${type} allows at most ${maxVcpus} vCPUs; ${machineType} has ${guestCpus}.`,
      );
    }
    total += count;
  });
  return total;
}

function checkScheduling(body: Json, hasGpus: boolean): Json {
  const scheduling = { ...((body.scheduling ?? {}) as Json) };
  const model = scheduling.provisioningModel ?? (scheduling.preemptible ? 'SPOT' : 'STANDARD');
  if (model !== 'SPOT' && model !== 'STANDARD') {
    throw invalidField('resource.scheduling.provisioningModel', model, 'Allowed: SPOT, STANDARD.');
  }
  const spot = model === 'SPOT' || scheduling.preemptible === true;
  scheduling.onHostMaintenance ??= spot ? 'TERMINATE' : 'MIGRATE';
  scheduling.automaticRestart ??= !spot;
  scheduling.preemptible ??= false;
  scheduling.provisioningModel = model;
  if (hasGpus && scheduling.onHostMaintenance !== 'TERMINATE') {
    throw invalidField(
      'resource.scheduling.onHostMaintenance',
      scheduling.onHostMaintenance,
      'Instances with guest accelerators do not support live migration.',
    );
  }
  if (spot && scheduling.automaticRestart === true) {
    throw invalidField(
      'resource.scheduling.automaticRestart',
      'true',
      'Spot VMs cannot be restarted automatically.',
    );
  }
  const action = scheduling.instanceTerminationAction;
  if (action !== undefined && action !== 'STOP' && action !== 'DELETE') {
    throw invalidField('resource.scheduling.instanceTerminationAction', action, 'Allowed: STOP, DELETE.');
  }
  if (scheduling.maxRunDuration !== undefined && action === undefined) {
    throw invalidField(
      'resource.scheduling.instanceTerminationAction',
      '',
      'Required when maxRunDuration is set.',
    );
  }
  if (spot && action === undefined) scheduling.instanceTerminationAction = 'STOP';
  return scheduling;
}

/** Validates an insert body and returns the instance as it will be stored (status PROVISIONING). */
export function buildInstance(ctx: ComputeContext, project: string, zone: ZoneRow, body: Json): Json {
  const name = checkName('resource.name', body.name);
  const key = `${project}/${zone.name}/${name}`;
  const zoneUrl = `${ctx.base()}/projects/${project}/zones/${zone.name}`;
  if (ctx.instances.has(key)) throw alreadyExists(`projects/${project}/zones/${zone.name}/instances/${name}`);
  const machineType = parseRef(String(body.machineType ?? '')).name;
  const machine = findMachineType(zone, machineType);
  if (!machine) {
    throw invalidField(
      'resource.machineType',
      body.machineType ?? '',
      `Machine type with name '${machineType}' does not exist in zone '${zone.name}'.`,
    );
  }
  const attached = checkGpus(body, zone, machineType, machine.guestCpus);
  const scheduling = checkScheduling(body, attached > 0 || machine.gpus !== undefined);
  const disks = (body.disks ?? []) as Json[];
  const boot = disks.find((d) => d.boot);
  if (!boot) throw invalidField('resource.disks', '', 'A boot disk is required.');
  const params = (boot.initializeParams ?? {}) as Json;
  const image = resolveImage(String(params.sourceImage ?? ''));
  if (!image) {
    const ref = parseRef(String(params.sourceImage ?? ''));
    throw notFound(`projects/${ref.project ?? project}/${ref.path}`);
  }
  const diskSizeGb = Number(params.diskSizeGb ?? image.diskSizeGb);
  if (diskSizeGb < image.diskSizeGb) {
    throw invalidField(
      'resource.disks[0].initializeParams.diskSizeGb',
      String(diskSizeGb),
      `Requested disk size cannot be smaller than the image size (${image.diskSizeGb} GB).`,
    );
  }
  // Every VM gets addresses of its own (from the id counter: never reused after a delete).
  const serial = Number(ctx.nextId());
  const interfaces = ((body.networkInterfaces ?? [{ network: 'global/networks/default' }]) as Json[]).map(
    (nic, index) => {
      const ref = parseRef(String(nic.network ?? 'global/networks/default'));
      const network = ctx.networks.get(`${ref.project ?? project}/${ref.name}`);
      if (!network) throw notFound(`projects/${ref.project ?? project}/global/networks/${ref.name}`);
      const region = zone.region;
      return {
        kind: 'compute#networkInterface',
        name: `nic${index}`,
        network: network.selfLink,
        subnetwork: `${ctx.base()}/projects/${ref.project ?? project}/regions/${region}/subnetworks/${ref.name}`,
        networkIP: `10.128.${Math.floor(serial / 250) % 250}.${(serial % 250) + 2 + index}`,
        stackType: 'IPV4_ONLY',
        fingerprint: 'ZmFrZS1uaWM=',
        ...(Array.isArray(nic.accessConfigs) && nic.accessConfigs.length > 0
          ? {
              accessConfigs: [
                {
                  kind: 'compute#accessConfig',
                  type: 'ONE_TO_ONE_NAT',
                  name: 'External NAT',
                  networkTier: 'PREMIUM',
                  // TEST-NET-3 (RFC 5737): never a real host.
                  natIP: `203.0.113.${(serial % 250) + 1}`,
                },
              ],
            }
          : {}),
      };
    },
  );
  const labels = checkLabels('resource.labels', body.labels);
  const id = ctx.nextId();
  const selfLink = `${zoneUrl}/instances/${name}`;
  return {
    kind: 'compute#instance',
    id,
    creationTimestamp: nowStamp(),
    name,
    ...(body.description ? { description: body.description } : {}),
    tags: { items: ((body.tags as Json | undefined)?.items ?? []) as string[], fingerprint: 'dGFncw==' },
    machineType: `${zoneUrl}/machineTypes/${machineType}`,
    status: 'PROVISIONING',
    zone: zoneUrl,
    canIpForward: false,
    networkInterfaces: interfaces,
    disks: [
      {
        kind: 'compute#attachedDisk',
        type: 'PERSISTENT',
        mode: 'READ_WRITE',
        source: `${zoneUrl}/disks/${String(boot.deviceName ?? name)}`,
        deviceName: String(boot.deviceName ?? name),
        index: 0,
        boot: true,
        autoDelete: boot.autoDelete !== false,
        diskSizeGb: String(diskSizeGb),
        licenses: [`${ctx.base()}/projects/${image.project}/global/licenses/${image.family}`],
        interface: 'SCSI',
        architecture: 'X86_64',
      },
    ],
    metadata: {
      kind: 'compute#metadata',
      fingerprint: 'bWV0YQ==',
      items: ((body.metadata as Json | undefined)?.items ?? []) as Json[],
    },
    // `default` is the project's Compute Engine default service account, shown by its address.
    serviceAccounts: ((body.serviceAccounts ?? []) as Json[]).map((sa) => ({
      email: sa.email === 'default' ? DEFAULT_SERVICE_ACCOUNT : sa.email,
      scopes: sa.scopes ?? [],
    })),
    selfLink,
    scheduling,
    ...(attached > 0
      ? {
          guestAccelerators: ((body.guestAccelerators ?? []) as Json[]).map((a) => ({
            acceleratorType: `${zoneUrl}/acceleratorTypes/${parseRef(String(a.acceleratorType)).name}`,
            acceleratorCount: Number(a.acceleratorCount),
          })),
        }
      : {}),
    cpuPlatform: 'Intel Cascade Lake',
    labels,
    labelFingerprint: fingerprintOf(labels),
    startRestricted: false,
    deletionProtection: false,
    fingerprint: 'aW5zdGFuY2U=',
  };
}

/** A fingerprint that changes whenever the labels (or metadata) change, as the service's does. */
export function fingerprintOf(value: unknown): string {
  let hash = 0;
  for (const char of JSON.stringify(value)) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) >>> 0;
  return Buffer.from(hash.toString(16).padStart(8, '0')).toString('base64');
}
