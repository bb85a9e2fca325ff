/**
 * `Network`: an auto-mode VPC network for a stack's VMs. Auto mode gives
 * every region a subnetwork out of 10.128.0.0/9
 * (https://cloud.google.com/vpc/docs/subnets#ip-ranges), so VMs in any zone
 * reach each other and a firewall can open TensorFlow's port to exactly that
 * range. The cloud name is fixed at construction (`name`, or
 * `<stack>-<id>`), so a killed deploy finds the network it made.
 */

import type { Construct } from 'constructs';
import { z } from 'zod';
import { InfraResource } from '../construct.ts';
import { validateProps } from '../props.ts';
import { ComputeNameSchema } from './construct-props.ts';
import { computeName } from './naming.ts';

export const NETWORK_KIND = 'compute.network';

/** The internal range of an auto-mode network: every region's subnetwork is inside it. */
export const AUTO_MODE_CIDR = '10.128.0.0/9';

export const NetworkPropsSchema = z.strictObject({
  name: ComputeNameSchema.optional().describe('Cloud name; default `<stack>-<id>`.'),
  project: z.string().min(1).optional().describe("Project; default the stack's."),
  description: z.string().max(1000).optional(),
  routingMode: z
    .enum(['REGIONAL', 'GLOBAL'])
    .default('REGIONAL')
    .describe('Cloud Router route advertisement: REGIONAL (default) or GLOBAL.'),
  mtu: z.number().int().min(1300).max(8896).default(1460).describe('MTU in bytes; default 1460.'),
});

export type NetworkPropsInput = z.input<typeof NetworkPropsSchema>;

/** What the driver receives: defaults filled, name and project decided. */
export interface NetworkProps {
  name: string;
  project: string;
  description?: string;
  routingMode: 'REGIONAL' | 'GLOBAL';
  mtu: number;
}

export class Network extends InfraResource<NetworkProps> {
  readonly kind = NETWORK_KIND;

  constructor(scope: Construct, id: string, props: NetworkPropsInput = {}) {
    super(scope, id, {} as NetworkProps);
    const parsed = validateProps(NetworkPropsSchema, props, this.resourceId);
    const resolved: NetworkProps = {
      ...parsed,
      name: parsed.name ?? computeName(this.stack.stackName, this.resourceId),
      project: parsed.project ?? this.stack.props.project,
    };
    (this as { props: NetworkProps }).props = resolved;
  }

  get networkName(): string {
    return this.props.name;
  }

  /** The range every VM on the network has its address in. */
  get cidr(): string {
    return AUTO_MODE_CIDR;
  }
}
