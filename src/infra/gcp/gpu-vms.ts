/**
 * `GpuVms`: N named Compute Engine VMs with NVIDIA GPUs for one training
 * cluster — the same machine type, GPUs, Deep Learning VM image family
 * (resolved to its newest image when each VM is created), boot disk,
 * service account, network and labels; optionally spot, with a termination
 * action and a maximum run time. Each VM is a `GpuVm` resource
 * (`compute.instance`); every VM carries the group's network tag (`tag`),
 * which a `Firewall` targets.
 *
 * Props are checked against Strato's GPU catalog (src/spec/catalog/gpu.ts):
 * A2, A3 and G2 machine types bring their GPUs; N1 takes attached GPUs in
 * the counts its vCPUs allow; nothing else carries GPUs.
 *
 * `stratoJobs: true` puts Strato's job agent on the VMs (its startup script,
 * `strato-standing: TRUE`, guest attributes on): jobs with
 * `provider: { name: gce, vms: <stack>/<id> }` then run on them, one after
 * the other, and the VMs stay (src/agent/layout.ts).
 */

import { Construct } from 'constructs';
import { z } from 'zod';
import { METADATA_KEYS } from '../../agent/layout.ts';
import { loadStartupScriptSync } from '../../agent/script.ts';
import type { SpecIssue } from '../../errors.ts';
import {
  findFixedGpuMachine,
  GPU_MACHINE_TYPES,
  GPU_TYPE_IDS,
  N1_GPU_LIMITS,
  N1_MACHINE_TYPES,
  n1Vcpus,
} from '../../spec/catalog/gpu.ts';
import { InfraResource, type ResourceRef, type Stack } from '../construct.ts';
import {
  identityDependencies,
  isServiceAccountIdentity,
  type ServiceAccountIdentity,
} from '../iam/service-account.ts';
import { resourceReference, validateProps } from '../props.ts';
import { ComputeLabelsSchema, ComputeNameSchema } from './construct-props.ts';
import { computeName } from './naming.ts';
import { NETWORK_KIND, type Network } from './network.ts';

export const INSTANCE_KIND = 'compute.instance';

/** Deep Learning VM images (https://cloud.google.com/deep-learning-vm/docs/images): CUDA 12.8, NVIDIA driver 570. */
export const DEFAULT_IMAGE = {
  project: 'deeplearning-platform-release',
  family: 'common-cu128-ubuntu-2204-nvidia-570',
};
/** Full access, narrowed by the service account's IAM roles (Google's recommendation for VM scopes). */
export const CLOUD_PLATFORM_SCOPE = 'https://www.googleapis.com/auth/cloud-platform';
/** Spot-only shapes (catalog comment on A3 High; https://cloud.google.com/compute/docs/accelerator-optimized-machines#a3-high-vms). */
const SPOT_ONLY = new Set(['a3-highgpu-1g', 'a3-highgpu-2g', 'a3-highgpu-4g']);
/** `maxRunDuration` limits (https://cloud.google.com/compute/docs/instances/limit-vm-runtime): 30 s to 120 days. */
const MAX_RUN_SECONDS = 120 * 24 * 3600;

export const GpuVmsPropsSchema = z.strictObject({
  count: z
    .number()
    .int()
    .min(1)
    .max(256)
    .optional()
    .describe('How many VMs, named `<id>-0` … ; or give `names`.'),
  names: z
    .array(ComputeNameSchema)
    .min(1)
    .max(256)
    .optional()
    .describe('One VM per name (instead of `count`).'),
  project: z.string().min(1).optional().describe("Project; default the stack's."),
  zone: z
    .string()
    .regex(/^[a-z]+-[a-z]+\d+-[a-z]$/, 'must be a zone, e.g. us-central1-a')
    .optional()
    .describe("Zone; default the stack's."),
  machineType: z
    .string()
    .min(1)
    .describe('e.g. a2-highgpu-1g (1 A100), g2-standard-8 (1 L4), n1-standard-8 with `gpu`.'),
  gpu: z
    .strictObject({ type: z.enum(GPU_TYPE_IDS), count: z.number().int().min(1) })
    .optional()
    .describe('Attached GPUs, N1 machine types only (A2, A3 and G2 bring their own).'),
  image: z
    .strictObject({ project: z.string().min(1).default(DEFAULT_IMAGE.project), family: z.string().min(1) })
    .default(DEFAULT_IMAGE)
    .describe(
      'Boot image family, resolved to its newest image at create; default a Deep Learning VM family.',
    ),
  bootDiskGb: z
    .number()
    .int()
    .min(50)
    .max(65_536)
    .default(200)
    .describe('Boot disk size in GB; default 200.'),
  spot: z.boolean().default(false).describe('Spot VMs: much cheaper, may be preempted at any time.'),
  terminationAction: z
    .enum(['STOP', 'DELETE'])
    .optional()
    .describe('What preemption or maxRunDurationSec does; default STOP.'),
  maxRunDurationSec: z
    .number()
    .int()
    .min(30)
    .max(MAX_RUN_SECONDS)
    .optional()
    .describe('Stop (or delete) each VM after this long.'),
  network: resourceReference<Network>(NETWORK_KIND, 'Network')
    .optional()
    .describe('The Network; default the project\'s "default" network.'),
  tags: z.array(ComputeNameSchema).default([]).describe('Network tags beside the group tag.'),
  serviceAccount: z
    .strictObject({
      email: z.string().min(1).default('default'),
      scopes: z.array(z.string().min(1)).default([CLOUD_PLATFORM_SCOPE]),
    })
    .default({ email: 'default', scopes: [CLOUD_PLATFORM_SCOPE] })
    .describe(
      'Service account the VMs run as: a ServiceAccount construct, an email, or { email, scopes }; default the Compute Engine default account.',
    ),
  labels: ComputeLabelsSchema.default({}),
  startupScript: z
    .string()
    .max(256 * 1024)
    .optional()
    .describe('Runs as root at every boot (metadata `startup-script`).'),
  metadata: z.record(z.string(), z.string()).default({}).describe('Further instance metadata.'),
  stratoJobs: z
    .boolean()
    .default(false)
    .describe(
      "Put Strato's job agent on the VMs (its startup script and strato-standing metadata): jobs with provider { name: gce, vms: <stack>/<id> } run on them and the VMs stay. Not with startupScript.",
    ),
  externalIp: z
    .boolean()
    .default(true)
    .describe('An ephemeral public address (to pull images without Cloud NAT).'),
});

export type GpuVmsPropsInput = Omit<z.input<typeof GpuVmsPropsSchema>, 'serviceAccount'> & {
  /** A `ServiceAccount` (new or `fromEmail`), an email, or `{ email, scopes }`. */
  serviceAccount?: ServiceAccountIdentity | string | z.input<typeof GpuVmsPropsSchema>['serviceAccount'];
};
type GpuVmsParsed = z.output<typeof GpuVmsPropsSchema>;

/** What the `compute.instance` driver receives for one VM. */
export interface InstanceProps {
  name: string;
  project: string;
  zone: string;
  machineType: string;
  gpu?: { type: string; count: number };
  image: { project: string; family: string };
  bootDiskGb: number;
  spot: boolean;
  terminationAction?: 'STOP' | 'DELETE';
  maxRunDurationSec?: number;
  /** The Network construct (a dependency), if the VMs are on one of the stack's. */
  network?: Network | ResourceRef;
  networkName: string;
  tags: string[];
  serviceAccount: { email: string; scopes: string[] };
  labels: Record<string, string>;
  metadata: Record<string, string>;
  externalIp: boolean;
}

/** Machine type ↔ GPUs against the catalog; every problem, with what is allowed and the fix. */
export function gpuIssues(parsed: Pick<GpuVmsParsed, 'machineType' | 'gpu' | 'spot'>): SpecIssue[] {
  const { machineType, gpu } = parsed;
  const fixed = findFixedGpuMachine(machineType);
  if (fixed) {
    const issues: SpecIssue[] = [];
    if (gpu) {
      issues.push({
        path: 'gpu',
        message: `${machineType} comes with ${fixed.count} × ${fixed.gpu}; attached GPUs are for N1 machine types only`,
        received: gpu,
        fix: `remove gpu, or use an n1-* machine type with gpu`,
      });
    }
    if (SPOT_ONLY.has(machineType) && !parsed.spot) {
      issues.push({
        path: 'spot',
        message: `${machineType} is offered as Spot (or Flex-start) only`,
        received: false,
        fix: 'set spot: true, or use a3-highgpu-8g on demand',
      });
    }
    return issues;
  }
  const vcpus = n1Vcpus(machineType);
  if (vcpus === undefined) {
    return [
      {
        path: 'machineType',
        message: 'is not a machine type that carries NVIDIA GPUs',
        received: machineType,
        allowed: GPU_MACHINE_TYPES,
        fix: 'use an A2/A3/G2 type (e.g. a2-highgpu-1g for one A100, g2-standard-8 for one L4), or n1-standard-N with gpu',
      },
    ];
  }
  const attachable = Object.keys(N1_GPU_LIMITS);
  if (!gpu) {
    return [
      {
        path: 'gpu',
        message: `an N1 machine type needs attached GPUs`,
        allowed: attachable,
        fix: "add gpu: { type: 'nvidia-tesla-t4', count: 1 }",
      },
    ];
  }
  const limits = N1_GPU_LIMITS[gpu.type];
  if (!limits) {
    return [
      {
        path: 'gpu.type',
        message: 'cannot be attached to N1 machine types',
        received: gpu.type,
        allowed: attachable,
        fix: 'use one of the allowed types, or the A2/A3/G2 machine type that carries this GPU',
      },
    ];
  }
  const limit = limits[gpu.count];
  if (!limit) {
    return [
      {
        path: 'gpu.count',
        message: `is not a count of ${gpu.type} an N1 VM takes`,
        received: gpu.count,
        allowed: Object.keys(limits),
        fix: 'use one of the allowed counts',
      },
    ];
  }
  if (vcpus > limit.maxVcpus) {
    const fitting = N1_MACHINE_TYPES.filter((type) => (n1Vcpus(type) ?? Infinity) <= limit.maxVcpus);
    return [
      {
        path: 'machineType',
        message: `has ${vcpus} vCPUs; ${gpu.count} × ${gpu.type} allows at most ${limit.maxVcpus}`,
        received: machineType,
        allowed: fitting,
        fix: `use a smaller N1 machine type, or more GPUs`,
      },
    ];
  }
  return [];
}

function groupIssues(parsed: GpuVmsParsed | undefined, stack: Stack): SpecIssue[] {
  if (!parsed) return [];
  const issues = gpuIssues(parsed);
  if ((parsed.count === undefined) === (parsed.names === undefined)) {
    issues.push({
      path: 'count',
      message: 'give exactly one of count and names',
      received: { count: parsed.count, names: parsed.names },
      fix: 'e.g. count: 2, or names: [chief, worker]',
    });
  }
  if (parsed.names && new Set(parsed.names).size !== parsed.names.length) {
    issues.push({
      path: 'names',
      message: 'names must be different',
      received: parsed.names,
      fix: 'give every VM its own name',
    });
  }
  if (!parsed.zone && !stack.props.zone) {
    issues.push({
      path: 'zone',
      message: 'no zone: neither the VMs nor the stack names one',
      fix: "set zone: 'us-central1-a' here or in the Stack's props",
    });
  }
  if (
    parsed.stratoJobs &&
    (parsed.startupScript !== undefined || parsed.metadata[METADATA_KEYS.startupScript])
  ) {
    issues.push({
      path: 'startupScript',
      message: "stratoJobs puts Strato's startup script on the VMs; they cannot run another one too",
      received: parsed.startupScript ?? parsed.metadata[METADATA_KEYS.startupScript],
      fix: 'drop startupScript (run that work as a job on the VMs), or drop stratoJobs',
    });
  }
  if (parsed.maxRunDurationSec !== undefined && !parsed.spot && !parsed.terminationAction) {
    issues.push({
      path: 'terminationAction',
      message: 'maxRunDurationSec needs a termination action',
      fix: "set terminationAction: 'STOP' or 'DELETE'",
    });
  }
  return issues;
}

/** One VM of a GpuVms group. */
export class GpuVm extends InfraResource<InstanceProps> {
  readonly kind = INSTANCE_KIND;
}

export class GpuVms extends Construct {
  readonly instances: GpuVm[];
  /** The network tag every VM of the group carries (target it with a Firewall). */
  readonly tag: string;

  constructor(scope: Construct, id: string, props: GpuVmsPropsInput) {
    super(scope, id);
    const stack = this.node.root as Stack;
    const where = this.node.path.split('/').slice(1).join('/');
    // A service account construct or a bare email is the `{ email }` the VMs run as (the schema's shape).
    const account = props.serviceAccount;
    const identity = isServiceAccountIdentity(account) ? account : undefined;
    const input = {
      ...props,
      ...(identity ? { serviceAccount: { email: identity.email } } : {}),
      ...(typeof account === 'string' ? { serviceAccount: { email: account } } : {}),
    };
    const parsed = validateProps(GpuVmsPropsSchema, input, where, (p) => groupIssues(p, stack));
    this.tag = computeName(stack.stackName, where);
    const names = parsed.names ?? Array.from({ length: parsed.count ?? 1 }, (_, i) => `${id}-${i}`);
    const { startupScript, stratoJobs, count: _count, names: _names, network, gpu, ...shared } = parsed;
    // The agent: Strato's script, told it stands (it waits for jobs), with the guest attributes it reports on.
    const agent: Record<string, string> = stratoJobs
      ? {
          [METADATA_KEYS.startupScript]: loadStartupScriptSync(),
          [METADATA_KEYS.standing]: 'TRUE',
          [METADATA_KEYS.guestAttributes]: 'TRUE',
        }
      : {};
    this.instances = names.map((name) => {
      const vm = new GpuVm(this, name, {} as InstanceProps);
      const resolved: InstanceProps = {
        ...shared,
        ...(gpu ? { gpu } : {}),
        ...(network ? { network } : {}),
        name: computeName(stack.stackName, vm.resourceId),
        project: parsed.project ?? stack.props.project,
        zone: (parsed.zone ?? stack.props.zone)!,
        networkName: network?.networkName ?? 'default',
        tags: [...new Set([this.tag, ...parsed.tags])],
        labels: { ...(stack.props.labels ?? {}), ...parsed.labels },
        metadata: {
          ...parsed.metadata,
          ...(startupScript !== undefined ? { 'startup-script': startupScript } : {}),
          ...agent,
        },
        terminationAction: parsed.terminationAction ?? (parsed.spot ? 'STOP' : undefined),
      };
      if (resolved.terminationAction === undefined) delete resolved.terminationAction;
      (vm as { props: InstanceProps }).props = resolved;
      // The VMs start once their account and its roles exist, and go before them on destroy.
      if (identity)
        for (const dependency of identityDependencies(identity)) vm.node.addDependency(dependency);
      return vm;
    });
  }

  /** The VMs' cloud names, in order. */
  get names(): string[] {
    return this.instances.map((vm) => vm.props.name);
  }
}
