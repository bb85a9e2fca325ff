/**
 * `Firewall`: an ingress rule that opens ports between a stack's VMs only —
 * by default TensorFlow's gRPC port 2222 (the port `TF_CONFIG` names for
 * every task), from the network's own range to VMs carrying the target
 * tags. Open to the internet (0.0.0.0/0) is refused: a training cluster's
 * port has no business there.
 */

import type { Construct } from 'constructs';
import { z } from 'zod';
import type { SpecIssue } from '../../errors.ts';
import { InfraResource, type ResourceRef } from '../construct.ts';
import { resourceReference, validateProps } from '../props.ts';
import { ComputeNameSchema } from './construct-props.ts';
import { computeName } from './naming.ts';
import { NETWORK_KIND, type Network } from './network.ts';

export const FIREWALL_KIND = 'compute.firewall';

/** The port TensorFlow's distributed runtime listens on in Strato's cluster plans. */
export const TF_PORT = 2222;

const CIDR = /^(\d{1,3}\.){3}\d{1,3}\/(\d|[12]\d|3[0-2])$/;

export const FirewallPropsSchema = z.strictObject({
  network: resourceReference<Network>(NETWORK_KIND, 'Network').describe('The Network the rule belongs to.'),
  name: ComputeNameSchema.optional().describe('Cloud name; default `<stack>-<id>`.'),
  project: z.string().min(1).optional().describe("Project; default the network's."),
  protocol: z.enum(['tcp', 'udp']).default('tcp'),
  ports: z
    .array(
      z.union([
        z.number().int().min(1).max(65535),
        z.string().regex(/^\d{1,5}(-\d{1,5})?$/, 'must be a port or a range N-M'),
      ]),
    )
    .min(1)
    .default([TF_PORT])
    .describe('Ports to open; default [2222] (TensorFlow).'),
  sourceRanges: z
    .array(z.string().regex(CIDR, 'must be an IPv4 CIDR range, e.g. 10.128.0.0/9'))
    .min(1)
    .optional()
    .describe("Who may connect; default the network's own range (inside the cluster only)."),
  targetTags: z
    .array(ComputeNameSchema)
    .min(1)
    .describe('Network tags of the VMs the rule opens (a GpuVms construct sets its tag on every VM).'),
  priority: z.number().int().min(0).max(65535).default(1000),
  description: z.string().max(1000).optional(),
});

export type FirewallPropsInput = z.input<typeof FirewallPropsSchema>;

export interface FirewallProps {
  network: Network | ResourceRef;
  /** The network's cloud name (what the driver sends; `network` makes it a dependency). */
  networkName: string;
  name: string;
  project: string;
  protocol: 'tcp' | 'udp';
  ports: string[];
  sourceRanges: string[];
  targetTags: string[];
  priority: number;
  description?: string;
}

function openToTheWorld(parsed: { sourceRanges?: string[] | undefined } | undefined): SpecIssue[] {
  const everywhere = parsed?.sourceRanges?.find((range) => range.endsWith('/0'));
  if (!everywhere) return [];
  return [
    {
      path: 'sourceRanges',
      message: 'opens the cluster port to every address on the internet',
      received: everywhere,
      fix: "leave sourceRanges out (the network's own range), or name the ranges that need the port",
    },
  ];
}

export class Firewall extends InfraResource<FirewallProps> {
  readonly kind = FIREWALL_KIND;

  constructor(scope: Construct, id: string, props: FirewallPropsInput) {
    super(scope, id, {} as FirewallProps);
    const parsed = validateProps(FirewallPropsSchema, props, this.resourceId, openToTheWorld);
    const resolved: FirewallProps = {
      ...parsed,
      networkName: parsed.network.networkName,
      name: parsed.name ?? computeName(this.stack.stackName, this.resourceId),
      project: parsed.project ?? parsed.network.props.project,
      ports: parsed.ports.map(String),
      sourceRanges: parsed.sourceRanges ?? [parsed.network.cidr],
    };
    (this as { props: FirewallProps }).props = resolved;
  }
}
