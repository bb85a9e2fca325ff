/**
 * The `compute.network` driver: auto-mode VPC networks over
 * `@google-cloud/compute` NetworksClient. Reads list the project's networks
 * once per project. The stack's mark is in the description (networks have
 * no labels). Every field is fixed at creation here, so any change is a
 * replace.
 */

import type { protos } from '@google-cloud/compute';
import { diffProps } from '../diff.ts';
import type {
  ActualResource,
  CloudRef,
  DesiredResource,
  DriverContext,
  RecordedResource,
  ResourceDriver,
} from '../types.ts';
import { newRequestId, operationOf } from './compute-api.ts';
import {
  type ComputeDriverOptions,
  createIdempotently,
  deleteAndWait,
  lazyComputeApi,
  readGlobalByName,
} from './driver-kit.ts';
import { computeName, markedDescription, readMark } from './naming.ts';
import { AUTO_MODE_CIDR, NETWORK_KIND, type NetworkProps } from './network.ts';

type INetwork = protos.google.cloud.compute.v1.INetwork;

const IN_PLACE = new Set<string>();

function actualOf(network: INetwork, ref: CloudRef): ActualResource<NetworkProps> {
  const { mark, text } = readMark(network.description);
  const props: Partial<NetworkProps> = {
    name: network.name ?? ref.name,
    project: ref.project,
    routingMode: (network.routingConfig?.routingMode as NetworkProps['routingMode']) ?? 'REGIONAL',
    mtu: network.mtu ?? 1460,
    ...(text ? { description: text } : {}),
  };
  return {
    ref: { ...ref, selfLink: network.selfLink },
    props: props as NetworkProps,
    outputs: {
      name: network.name,
      selfLink: network.selfLink,
      cidr: network.autoCreateSubnetworks ? AUTO_MODE_CIDR : undefined,
    },
    ...(mark ? { stackLabel: mark.stack } : {}),
    status: 'READY',
  };
}

export function createNetworkDriver(options: ComputeDriverOptions = {}): ResourceDriver<NetworkProps> {
  const api = lazyComputeApi(options);

  async function readOne(
    ref: CloudRef,
    context: DriverContext,
  ): Promise<ActualResource<NetworkProps> | undefined> {
    const found = await driver.readMany([ref], context);
    return found.get(ref.name);
  }

  const driver: ResourceDriver<NetworkProps> = {
    kind: NETWORK_KIND,
    cloudName: (resource, stack) => resource.props.name ?? computeName(stack, resource.id),
    refOf: (resource, context) => ({
      project: resource.props.project ?? context.project,
      location: 'global',
      name: driver.cloudName(resource, context.stack),
    }),
    async readMany(refs) {
      const compute = await api();
      return readGlobalByName(
        refs,
        async (project) =>
          (
            await compute.call(`listing networks in ${project}`, project, () =>
              compute.networks.list({ project, maxResults: 500 }),
            )
          )[0],
        actualOf,
      );
    },
    diff: (before, after) => diffProps(before, after, IN_PLACE),
    async create(resource: DesiredResource<NetworkProps>, context: DriverContext) {
      const ref = driver.refOf(resource, context);
      const compute = await api();
      const requestId = newRequestId();
      return createIdempotently({
        read: () => readOne(ref, context),
        stack: context.stack,
        id: resource.id,
        what: `network ${ref.name} in project ${ref.project}`,
        insert: async () => {
          const result = await compute.call(`creating network ${ref.name}`, ref.project, () =>
            compute.networks.insert({
              project: ref.project,
              requestId,
              networkResource: {
                name: ref.name,
                autoCreateSubnetworks: true,
                routingConfig: { routingMode: resource.props.routingMode },
                mtu: resource.props.mtu,
                description: markedDescription(
                  { stack: context.stack, id: resource.id },
                  resource.props.description,
                ),
              },
            }),
          );
          await compute.waitFor(operationOf(result), {
            id: resource.id,
            action: `creating network ${ref.name}`,
            project: ref.project,
            ...(context.onProgress ? { onProgress: context.onProgress } : {}),
            ...(context.signal ? { signal: context.signal } : {}),
          });
        },
      });
    },
    async update(_resource, actual) {
      // Nothing is changed in place (IN_PLACE is empty): the engine replaces instead.
      return actual;
    },
    async delete(recorded: RecordedResource<NetworkProps>, context: DriverContext) {
      await deleteAndWait(api, recorded, context, 'network', (compute, requestId) =>
        compute.networks.delete({ project: recorded.ref.project, network: recorded.ref.name, requestId }),
      );
    },
  };
  return driver;
}
