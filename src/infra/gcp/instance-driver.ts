/**
 * The `compute.instance` driver: GPU VMs over `@google-cloud/compute`
 * InstancesClient. Reads list each project+zone once (one call however many
 * VMs the stack has there). Create resolves the image family to its newest
 * image (`images.getFromFamily`), inserts with a request id, waits for the
 * operation with progress and then for the VM to leave PROVISIONING/STAGING;
 * a stockout becomes E_NO_CAPACITY saying what to try. Labels and metadata
 * change in place (setLabels, setMetadata); every other field needs a new VM.
 */

import type { protos } from '@google-cloud/compute';
import { isWorkKey } from '../../agent/layout.ts';
import { sleep } from '../../internal/sleep.ts';
import { gpuVmHourlyPrice } from '../../spec/catalog/prices.ts';
import { diffProps } from '../diff.ts';
import {
  type ActualResource,
  type CloudRef,
  type DesiredResource,
  type DriverContext,
  type ResourceDriver,
  STACK_LABEL,
} from '../types.ts';
import { type ComputeApi, newRequestId, operationOf } from './compute-api.ts';
import {
  type ComputeDriverOptions,
  createIdempotently,
  deleteAndWait,
  lazyComputeApi,
} from './driver-kit.ts';
import { INSTANCE_KIND, type InstanceProps } from './gpu-vms.ts';
import { computeName, lastSegment, markedDescription, readMark } from './naming.ts';

type IInstance = protos.google.cloud.compute.v1.IInstance;

const IN_PLACE = new Set(['labels', 'metadata']);
/** States a VM passes through before it runs (https://cloud.google.com/compute/docs/instances/instance-life-cycle). */
const STARTING = new Set(['PROVISIONING', 'STAGING', 'PENDING']);

/** The service reports `default` as the project's Compute Engine account (`NUMBER-compute@developer…`); props say `default`. */
function emailAsWritten(email: string | null | undefined): string {
  return /^\d+-compute@developer\.gserviceaccount\.com$/.test(email ?? '') ? 'default' : (email ?? '');
}

/** The VM as the cloud reports it, in the construct's terms. */
export function instancePropsOf(instance: IInstance, ref: CloudRef): Partial<InstanceProps> {
  const { mark } = readMark(instance.description);
  const [imageProject, imageFamily] = (mark?.image ?? '/').split('/');
  const { [STACK_LABEL]: _stack, ...labels } = instance.labels ?? {};
  const scheduling = instance.scheduling ?? {};
  const accelerator = instance.guestAccelerators?.[0];
  const nic = instance.networkInterfaces?.[0];
  const account = instance.serviceAccounts?.[0];
  const seconds = Number(scheduling.maxRunDuration?.seconds ?? 0);
  const action = scheduling.instanceTerminationAction as InstanceProps['terminationAction'] | undefined;
  return {
    name: instance.name ?? ref.name,
    project: ref.project,
    zone: lastSegment(instance.zone) || ref.location,
    machineType: lastSegment(instance.machineType),
    gpu: accelerator
      ? { type: lastSegment(accelerator.acceleratorType), count: accelerator.acceleratorCount ?? 0 }
      : undefined,
    ...(imageFamily ? { image: { project: imageProject!, family: imageFamily } } : {}),
    bootDiskGb: Number(instance.disks?.find((d) => d.boot)?.diskSizeGb ?? 0),
    spot: scheduling.provisioningModel === 'SPOT' || scheduling.preemptible === true,
    terminationAction: action || undefined,
    maxRunDurationSec: seconds > 0 ? seconds : undefined,
    networkName: lastSegment(nic?.network),
    tags: [...(instance.tags?.items ?? [])],
    serviceAccount: { email: emailAsWritten(account?.email), scopes: [...(account?.scopes ?? [])] },
    labels,
    // A job handed to a standing VM (its work keys, src/agent/layout.ts) is not drift of the stack.
    metadata: Object.fromEntries(
      (instance.metadata?.items ?? [])
        .filter((item) => !isWorkKey(item.key))
        .map((item) => [item.key ?? '', item.value ?? '']),
    ),
    externalIp: (nic?.accessConfigs ?? []).length > 0,
  };
}

function actualOf(instance: IInstance, ref: CloudRef): ActualResource<InstanceProps> {
  const nic = instance.networkInterfaces?.[0];
  const stackLabel = instance.labels?.[STACK_LABEL];
  return {
    ref: { ...ref, selfLink: instance.selfLink },
    props: instancePropsOf(instance, ref) as InstanceProps,
    outputs: {
      name: instance.name,
      zone: lastSegment(instance.zone),
      selfLink: instance.selfLink,
      internalIp: nic?.networkIP ?? undefined,
      externalIp: nic?.accessConfigs?.[0]?.natIP ?? undefined,
      status: instance.status,
    },
    ...(stackLabel ? { stackLabel } : {}),
    status: String(instance.status ?? 'UNKNOWN'),
  };
}

/** The insert body for a VM of the stack, booting `sourceImage`. */
export function instanceBody(
  props: InstanceProps,
  stack: string,
  id: string,
  sourceImage: string,
): IInstance {
  const { project, zone } = props;
  return {
    name: props.name,
    description: markedDescription({ stack, id, image: `${props.image.project}/${props.image.family}` }),
    machineType: `zones/${zone}/machineTypes/${props.machineType}`,
    guestAccelerators: props.gpu
      ? [
          {
            acceleratorType: `projects/${project}/zones/${zone}/acceleratorTypes/${props.gpu.type}`,
            acceleratorCount: props.gpu.count,
          },
        ]
      : [],
    // GPUs cannot live-migrate: host maintenance stops the VM (https://cloud.google.com/compute/docs/gpus/gpu-host-maintenance).
    scheduling: {
      onHostMaintenance: 'TERMINATE',
      automaticRestart: !props.spot,
      provisioningModel: props.spot ? 'SPOT' : 'STANDARD',
      ...(props.terminationAction ? { instanceTerminationAction: props.terminationAction } : {}),
      ...(props.maxRunDurationSec ? { maxRunDuration: { seconds: props.maxRunDurationSec } } : {}),
    },
    disks: [
      { boot: true, autoDelete: true, initializeParams: { sourceImage, diskSizeGb: props.bootDiskGb } },
    ],
    networkInterfaces: [
      {
        network: `projects/${project}/global/networks/${props.networkName}`,
        ...(props.externalIp ? { accessConfigs: [{ name: 'External NAT', type: 'ONE_TO_ONE_NAT' }] } : {}),
      },
    ],
    serviceAccounts: [{ email: props.serviceAccount.email, scopes: props.serviceAccount.scopes }],
    tags: { items: props.tags },
    labels: { ...props.labels, [STACK_LABEL]: stack },
    metadata: { items: Object.entries(props.metadata).map(([key, value]) => ({ key, value })) },
  };
}

export function createInstanceDriver(options: ComputeDriverOptions = {}): ResourceDriver<InstanceProps> {
  const api = lazyComputeApi(options);
  const pollMs = options.pollMs ?? 2000;
  const waitOptions = (context: DriverContext) => ({
    ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    ...(context.signal ? { signal: context.signal } : {}),
  });

  async function getOne(compute: ComputeApi, ref: CloudRef): Promise<IInstance | undefined> {
    try {
      const [instance] = await compute.call(`reading VM ${ref.name}`, ref.project, () =>
        compute.instances.get({ project: ref.project, zone: ref.location, instance: ref.name }),
      );
      return instance;
    } catch (error) {
      if ((error as { code?: string }).code === 'E_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** Waits while the VM is still starting (after a create, or one a killed deploy left starting). */
  async function untilStarted(
    compute: ComputeApi,
    ref: CloudRef,
    id: string,
    context: DriverContext,
  ): Promise<ActualResource<InstanceProps> | undefined> {
    for (;;) {
      const instance = await getOne(compute, ref);
      if (!instance) return undefined;
      const status = String(instance.status ?? '');
      context.onProgress?.({ id, status, message: `VM ${ref.name} in ${ref.location}` });
      if (!STARTING.has(status) || context.noWait) return actualOf(instance, ref);
      await sleep(pollMs, context.signal);
    }
  }

  const driver: ResourceDriver<InstanceProps> = {
    kind: INSTANCE_KIND,
    cloudName: (resource, stack) => resource.props.name ?? computeName(stack, resource.id),
    // The list price of its machine type and attached GPUs (spec/catalog/prices.ts); undefined when not in the table.
    hourlyCost: (resource) => gpuVmHourlyPrice(resource.props.machineType, resource.props.gpu),
    refOf: (resource, context) => ({
      project: resource.props.project ?? context.project,
      location: resource.props.zone,
      name: driver.cloudName(resource, context.stack),
    }),
    async readMany(refs) {
      const found = new Map<string, ActualResource<InstanceProps>>();
      const compute = await api();
      const groups = new Map<string, CloudRef[]>();
      for (const ref of refs)
        groups.set(`${ref.project}/${ref.location}`, [
          ...(groups.get(`${ref.project}/${ref.location}`) ?? []),
          ref,
        ]);
      await Promise.all(
        [...groups.values()].map(async (group) => {
          const { project, location: zone } = group[0]!;
          const wanted = new Map(group.map((r) => [r.name, r]));
          const [instances] = await compute.call(`listing VMs in ${project}/${zone}`, project, () =>
            compute.instances.list({ project, zone, maxResults: 500 }),
          );
          for (const instance of instances) {
            const ref = wanted.get(instance.name ?? '');
            if (ref) found.set(ref.name, actualOf(instance, ref));
          }
        }),
      );
      return found;
    },
    diff: (before, after) => diffProps(before, after, IN_PLACE),
    async create(resource: DesiredResource<InstanceProps>, context: DriverContext) {
      const ref = driver.refOf(resource, context);
      const props = resource.props;
      const compute = await api();
      const requestId = newRequestId();
      const what = `VM ${ref.name} (${props.machineType}${props.spot ? ', spot' : ''}) in ${ref.project}/${ref.location}`;
      const created = await createIdempotently({
        read: async () => {
          const instance = await getOne(compute, ref);
          return instance ? actualOf(instance, ref) : undefined;
        },
        stack: context.stack,
        id: resource.id,
        what,
        insert: async () => {
          const [image] = await compute.call(
            `resolving image family ${props.image.project}/${props.image.family}`,
            props.project,
            () => compute.images.getFromFamily({ project: props.image.project, family: props.image.family }),
          );
          const action = `creating ${what}`;
          const result = await compute.call(action, ref.project, () =>
            compute.instances.insert({
              project: ref.project,
              zone: ref.location,
              requestId,
              instanceResource: instanceBody(props, context.stack, resource.id, image.selfLink ?? ''),
            }),
          );
          if (context.noWait) return;
          await compute.waitFor(operationOf(result), {
            id: resource.id,
            action,
            project: ref.project,
            zone: ref.location,
            machineType: props.machineType,
            spot: props.spot,
            ...waitOptions(context),
          });
        },
      });
      return (await untilStarted(compute, ref, resource.id, context)) ?? created;
    },
    async claim(actual, resource, context) {
      const compute = await api();
      const ref = actual.ref;
      const instance = await getOne(compute, ref);
      if (!instance) return actual;
      const action = `labelling VM ${ref.name} as stack ${context.stack}'s`;
      const requestId = newRequestId();
      const result = await compute.call(action, ref.project, () =>
        compute.instances.setLabels({
          project: ref.project,
          zone: ref.location,
          instance: ref.name,
          requestId,
          instancesSetLabelsRequestResource: {
            labels: { ...instance.labels, [STACK_LABEL]: context.stack },
            labelFingerprint: instance.labelFingerprint ?? '',
          },
        }),
      );
      await compute.waitFor(operationOf(result), {
        id: resource.id,
        action,
        project: ref.project,
        zone: ref.location,
        ...waitOptions(context),
      });
      const after = await getOne(compute, ref);
      return after ? actualOf(after, ref) : actual;
    },
    async update(resource, actual, changes, context) {
      const compute = await api();
      const ref = actual.ref;
      const instance = await getOne(compute, ref);
      if (!instance) return actual;
      const fields = new Set(changes.map((change) => change.path.split('.')[0]));
      const send = async (what: string, call: (requestId: string) => Promise<readonly unknown[]>) => {
        const action = `${what} of VM ${ref.name}`;
        const requestId = newRequestId();
        const result = await compute.call(action, ref.project, () => call(requestId));
        await compute.waitFor(operationOf(result), {
          id: resource.id,
          action,
          project: ref.project,
          zone: ref.location,
          ...waitOptions(context),
        });
      };
      if (fields.has('labels')) {
        await send('setting the labels', (requestId) =>
          compute.instances.setLabels({
            project: ref.project,
            zone: ref.location,
            instance: ref.name,
            requestId,
            instancesSetLabelsRequestResource: {
              labels: { ...resource.props.labels, [STACK_LABEL]: context.stack },
              labelFingerprint: instance.labelFingerprint ?? '',
            },
          }),
        );
      }
      if (fields.has('metadata')) {
        await send('setting the metadata', (requestId) =>
          compute.instances.setMetadata({
            project: ref.project,
            zone: ref.location,
            instance: ref.name,
            requestId,
            metadataResource: {
              fingerprint: instance.metadata?.fingerprint ?? '',
              // A deploy never takes a running job away from a standing VM: its work keys stay.
              items: [
                ...Object.entries(resource.props.metadata).map(([key, value]) => ({ key, value })),
                ...(instance.metadata?.items ?? []).filter((item) => isWorkKey(item.key)),
              ],
            },
          }),
        );
      }
      const after = await getOne(compute, ref);
      return after ? actualOf(after, ref) : actual;
    },
    async delete(recorded, context) {
      await deleteAndWait(api, recorded, context, 'VM', (compute, requestId) =>
        compute.instances.delete({
          project: recorded.ref.project,
          zone: recorded.ref.location,
          instance: recorded.ref.name,
          requestId,
        }),
      );
    },
  };
  return driver;
}
