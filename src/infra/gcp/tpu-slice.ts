/**
 * `TpuSlice`: a Cloud TPU slice (one TPU VM per host) made through a queued
 * resource. Its props are checked when it is built, every problem at once
 * with field path, value, allowed values and fix: the schema (`tpu-slice-props.ts`),
 * then Strato's TPU catalog — the type exists, the zone offers its
 * generation, the runtime boots TensorFlow on it (`-pod` for multi-host,
 * PJRT on v5e/v5p/v6e).
 *
 * ```ts
 * new TpuSlice(stack, 'train', { acceleratorType: 'v4-32', runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt', provisioning: 'spot' });
 * ```
 */

import type { Construct } from 'constructs';
import { METADATA_KEYS } from '../../agent/layout.ts';
import { loadStartupScriptSync } from '../../agent/script.ts';
import { SpecError, type SpecIssue } from '../../errors.ts';
import {
  findTpuSlice,
  TPU_GENERATIONS,
  TPU_SLICE_NAMES,
  type TpuGeneration,
} from '../../spec/catalog/tpu.ts';
import { checkTfRuntime } from '../../spec/catalog/tpu-runtime.ts';
import { TPU_ZONES } from '../../spec/catalog/tpu-zones.ts';
import { toSpecIssues } from '../../spec/issues.ts';
import { closest } from '../../spec/suggest.ts';
import { InfraResource, Stack } from '../construct.ts';
import {
  identityDependencies,
  isServiceAccountIdentity,
  type ServiceAccountIdentity,
} from '../iam/service-account.ts';
import { type TpuSliceInput, type TpuSliceProps, TpuSliceSchema } from './tpu-slice-props.ts';

export const TPU_QUEUED_RESOURCE_KIND = 'tpu.queued-resource';

/** TpuSlice props; `project` and `zone` default to the stack's. */
export type TpuSliceOptions = Omit<TpuSliceInput, 'project' | 'zone' | 'serviceAccount'> & {
  project?: string;
  zone?: string;
  /** The workers' identity: a `ServiceAccount` (new or `fromEmail`) or an email. */
  serviceAccount?: ServiceAccountIdentity | TpuSliceInput['serviceAccount'];
};

/** The generation and the slice's host count the props name, or the problems in naming them. */
function resolveSlice(
  props: TpuSliceProps,
  issues: SpecIssue[],
): { generation: TpuGeneration; hosts: number } | undefined {
  const byConfig = props.generation !== undefined || props.topology !== undefined;
  if (props.acceleratorType !== undefined && byConfig) {
    issues.push({
      path: 'acceleratorType',
      message: 'is given together with generation/topology',
      received: props.acceleratorType,
      fix: 'give either acceleratorType (e.g. "v4-32") or generation + topology (e.g. "v4" + "2x2x4"), not both',
    });
    return undefined;
  }
  if (props.acceleratorType !== undefined) {
    const found = findTpuSlice(props.acceleratorType);
    if (found) return { generation: found.generation, hosts: found.slice.hosts };
    issues.push({
      path: 'acceleratorType',
      message: 'is not a Cloud TPU slice type',
      received: props.acceleratorType,
      allowed: closest(props.acceleratorType, TPU_SLICE_NAMES, 5),
      fix: 'use a type such as "v4-32" or "v5litepod-8" (https://cloud.google.com/tpu/docs/system-architecture-tpu-vm)',
    });
    return undefined;
  }
  if (props.generation === undefined || props.topology === undefined) {
    issues.push({
      path: props.generation === undefined ? 'generation' : 'topology',
      message: byConfig ? 'is required with the other of generation/topology' : 'no slice is named',
      fix: 'give acceleratorType (e.g. "v4-32"), or generation + topology (e.g. "v4" + "2x2x4")',
    });
    return undefined;
  }
  const generation = TPU_GENERATIONS.find((g) => g.id === props.generation)!;
  const slice = generation.slices.find((s) => s.topology === props.topology);
  if (slice) return { generation, hosts: slice.hosts };
  issues.push({
    path: 'topology',
    message: `is not a ${generation.id} slice topology`,
    received: props.topology,
    allowed: generation.slices.map((s) => s.topology),
    fix: `use one of the ${generation.id} topologies listed`,
  });
  return undefined;
}

/** Every problem with the props against the catalog (the schema has passed). */
export function tpuSliceIssues(props: TpuSliceProps & { stratoJobs?: boolean }): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const resolved = resolveSlice(props, issues);
  if (resolved) {
    const { generation, hosts } = resolved;
    const zones = TPU_ZONES[generation.id];
    if (!zones.includes(props.zone)) {
      issues.push({
        path: 'zone',
        message: `does not offer TPU ${generation.id}`,
        received: props.zone,
        allowed: zones,
        fix: `use a zone that offers ${generation.id} (https://cloud.google.com/tpu/docs/regions-zones)`,
      });
    }
    for (const problem of checkTfRuntime(props.runtimeVersion, generation, hosts > 1)) {
      if (problem.severity !== 'error') continue;
      issues.push({
        path: 'runtimeVersion',
        message: problem.message,
        received: props.runtimeVersion,
        fix: problem.fix,
      });
    }
  }
  if (
    props.stratoJobs &&
    (props.startupScript !== undefined || props.metadata[METADATA_KEYS.startupScript])
  ) {
    issues.push({
      path: 'startupScript',
      message: "stratoJobs puts Strato's startup script on the workers; they cannot run another one too",
      received: props.startupScript ?? props.metadata[METADATA_KEYS.startupScript],
      fix: 'drop startupScript (run that work as a job on the slice), or drop stratoJobs',
    });
  }
  if (props.reservationName !== undefined && props.provisioning !== 'reserved') {
    issues.push({
      path: 'reservationName',
      message: 'is only used with provisioning "reserved"',
      received: props.provisioning,
      allowed: ['reserved'],
      fix: 'set provisioning: "reserved", or drop reservationName',
    });
  }
  return issues;
}

/** Parses and checks TpuSlice props (stack defaults applied); throws SpecError with every problem. */
export function parseTpuSliceProps(input: unknown, source?: string): TpuSliceProps {
  const parsed = TpuSliceSchema.safeParse(input);
  if (!parsed.success) throw new SpecError(toSpecIssues(parsed.error.issues, TpuSliceSchema, input), source);
  const issues = tpuSliceIssues(parsed.data);
  if (issues.length > 0) throw new SpecError(issues, source);
  const { stratoJobs, ...props } = parsed.data;
  if (!stratoJobs) return props;
  // The agent (src/agent): Strato's script on every worker, told the slice stands (it waits for jobs).
  return {
    ...props,
    startupScript: loadStartupScriptSync(),
    metadata: { ...props.metadata, [METADATA_KEYS.standing]: 'TRUE' },
  };
}

function stackOf(scope: Construct): Stack | undefined {
  const root = scope.node.root;
  return root instanceof Stack ? root : undefined;
}

export class TpuSlice extends InfraResource<TpuSliceProps> {
  readonly kind = TPU_QUEUED_RESOURCE_KIND;

  constructor(scope: Construct, id: string, options: TpuSliceOptions) {
    const stack = stackOf(scope);
    const identity = isServiceAccountIdentity(options.serviceAccount) ? options.serviceAccount : undefined;
    const input = {
      ...options,
      // A service account construct is its email; the dependency is added below.
      ...(identity ? { serviceAccount: identity.email } : {}),
      project: options.project ?? stack?.props.project,
      zone: options.zone ?? stack?.props.zone,
      labels: { ...stack?.props.labels, ...options.labels },
    };
    super(
      scope,
      id,
      parseTpuSliceProps(input, `TpuSlice ${[scope.node.path, id].filter(Boolean).join('/')}`),
    );
    // The workers start once their account and its roles exist, and go before them on destroy.
    if (identity)
      for (const dependency of identityDependencies(identity)) this.node.addDependency(dependency);
  }
}
