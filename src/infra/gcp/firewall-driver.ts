/**
 * The `compute.firewall` driver: ingress rules over `@google-cloud/compute`
 * FirewallsClient. Reads list the project's rules once per project. Ports,
 * source ranges, target tags, priority and description change in place
 * (PATCH); the network, name and project do not.
 */

import type { protos } from '@google-cloud/compute';
import { diffProps } from '../diff.ts';
import type { ActualResource, CloudRef, DesiredResource, DriverContext, ResourceDriver } from '../types.ts';
import { newRequestId, operationOf } from './compute-api.ts';
import {
  type ComputeDriverOptions,
  createIdempotently,
  deleteAndWait,
  lazyComputeApi,
  readGlobalByName,
} from './driver-kit.ts';
import { FIREWALL_KIND, type FirewallProps } from './firewall.ts';
import { computeName, lastSegment, markedDescription, readMark } from './naming.ts';

type IFirewall = protos.google.cloud.compute.v1.IFirewall;

const IN_PLACE = new Set(['ports', 'protocol', 'sourceRanges', 'targetTags', 'priority', 'description']);

function actualOf(firewall: IFirewall, ref: CloudRef): ActualResource<FirewallProps> {
  const { mark, text } = readMark(firewall.description);
  const rule = firewall.allowed?.[0];
  const props: Partial<FirewallProps> = {
    name: firewall.name ?? ref.name,
    project: ref.project,
    networkName: lastSegment(firewall.network),
    protocol: (rule?.IPProtocol as FirewallProps['protocol']) ?? 'tcp',
    ports: [...(rule?.ports ?? [])],
    sourceRanges: [...(firewall.sourceRanges ?? [])],
    targetTags: [...(firewall.targetTags ?? [])],
    priority: firewall.priority ?? 1000,
    ...(text ? { description: text } : {}),
  };
  return {
    ref: { ...ref, selfLink: firewall.selfLink },
    props: props as FirewallProps,
    outputs: { name: firewall.name, selfLink: firewall.selfLink },
    ...(mark ? { stackLabel: mark.stack } : {}),
    status: firewall.disabled ? 'DISABLED' : 'ENABLED',
  };
}

/** The rule's settings, as insert and patch send them. */
function ruleBody(props: FirewallProps, stack: string, id: string): IFirewall {
  return {
    allowed: [{ IPProtocol: props.protocol, ports: props.ports }],
    sourceRanges: props.sourceRanges,
    targetTags: props.targetTags,
    priority: props.priority,
    direction: 'INGRESS',
    description: markedDescription({ stack, id }, props.description),
  };
}

export function createFirewallDriver(options: ComputeDriverOptions = {}): ResourceDriver<FirewallProps> {
  const api = lazyComputeApi(options);
  const waitOptions = (context: DriverContext) => ({
    ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    ...(context.signal ? { signal: context.signal } : {}),
  });

  const driver: ResourceDriver<FirewallProps> = {
    kind: FIREWALL_KIND,
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
            await compute.call(`listing firewall rules in ${project}`, project, () =>
              compute.firewalls.list({ project, maxResults: 500 }),
            )
          )[0],
        actualOf,
      );
    },
    diff: (before, after) => diffProps(before, after, IN_PLACE),
    async create(resource: DesiredResource<FirewallProps>, context: DriverContext) {
      const ref = driver.refOf(resource, context);
      const compute = await api();
      const requestId = newRequestId();
      const read = async () => (await driver.readMany([ref], context)).get(ref.name);
      return createIdempotently({
        read,
        stack: context.stack,
        id: resource.id,
        what: `firewall rule ${ref.name} in project ${ref.project}`,
        insert: async () => {
          const action = `creating firewall rule ${ref.name}`;
          const result = await compute.call(action, ref.project, () =>
            compute.firewalls.insert({
              project: ref.project,
              requestId,
              firewallResource: {
                name: ref.name,
                network: `projects/${ref.project}/global/networks/${resource.props.networkName}`,
                ...ruleBody(resource.props, context.stack, resource.id),
              },
            }),
          );
          await compute.waitFor(operationOf(result), {
            id: resource.id,
            action,
            project: ref.project,
            ...waitOptions(context),
          });
        },
      });
    },
    async update(resource, actual, _changes, context) {
      const compute = await api();
      const requestId = newRequestId();
      const action = `updating firewall rule ${actual.ref.name}`;
      const result = await compute.call(action, actual.ref.project, () =>
        compute.firewalls.patch({
          project: actual.ref.project,
          firewall: actual.ref.name,
          requestId,
          firewallResource: ruleBody(resource.props, context.stack, resource.id),
        }),
      );
      await compute.waitFor(operationOf(result), {
        id: resource.id,
        action,
        project: actual.ref.project,
        ...waitOptions(context),
      });
      const after = (await driver.readMany([actual.ref], context)).get(actual.ref.name);
      return after ?? actual;
    },
    async delete(recorded, context) {
      await deleteAndWait(api, recorded, context, 'firewall rule', (compute, requestId) =>
        compute.firewalls.delete({ project: recorded.ref.project, firewall: recorded.ref.name, requestId }),
      );
    },
  };
  return driver;
}
