/**
 * TpuSlice props ↔ Cloud TPU v2 messages: the queued resource Strato asks
 * for, the props read back from one (for plans and drift), and the outputs
 * of its node (worker endpoints). Pure functions over plain data.
 */

import type { google } from '@google-cloud/tpu/build/protos/protos.js';
import { isWorkKey } from '../../agent/layout.ts';
import { type DriverContext, STACK_LABEL } from '../types.ts';
import { isRef, type TpuSliceProps } from './tpu-slice-props.ts';

type QueuedResource = google.cloud.tpu.v2.IQueuedResource;
type Node = google.cloud.tpu.v2.INode;

/** `AcceleratorConfig.Type` names per generation (cloud_tpu.proto). */
const CONFIG_TYPE: Record<string, string> = {
  v2: 'V2',
  v3: 'V3',
  v4: 'V4',
  v5e: 'V5LITE_POD',
  v5p: 'V5P',
  v6e: 'V6E',
};
/** The same enum by number, as the REST transport may decode it. */
const CONFIG_TYPE_BY_NUMBER: Record<number, string> = {
  2: 'V2',
  4: 'V3',
  7: 'V4',
  9: 'V5LITE_POD',
  10: 'V5P',
  11: 'V6E',
};
const STARTUP_SCRIPT = 'startup-script';

/** A prop that may name another resource of the stack: its value, or that resource's output. */
function resolve(value: unknown, context: DriverContext, outputs: readonly string[]): string | undefined {
  if (value === undefined) return undefined;
  if (!isRef(value)) return String(value);
  const of = context.outputsOf(value.ref);
  const found = outputs.map((key) => of[key]).find((v) => typeof v === 'string');
  return found as string | undefined;
}

/** The queued resource to create for these props, carrying the stack label on its node. */
export function queuedResourceBody(
  props: TpuSliceProps,
  parent: string,
  nodeId: string,
  context: DriverContext,
): QueuedResource {
  const metadata = {
    ...props.metadata,
    ...(props.startupScript ? { [STARTUP_SCRIPT]: props.startupScript } : {}),
  };
  const network = resolve(props.network, context, ['selfLink', 'name']);
  const subnetwork = resolve(props.subnetwork, context, ['selfLink', 'name']);
  const email = resolve(props.serviceAccount, context, ['email']);
  const node: Node = {
    ...(props.acceleratorType
      ? { acceleratorType: props.acceleratorType }
      : { acceleratorConfig: { type: CONFIG_TYPE[props.generation!] as never, topology: props.topology! } }),
    runtimeVersion: props.runtimeVersion,
    networkConfig: {
      ...(network ? { network } : {}),
      ...(subnetwork ? { subnetwork } : {}),
      enableExternalIps: props.enableExternalIps,
    },
    ...(email
      ? { serviceAccount: { email, scope: ['https://www.googleapis.com/auth/cloud-platform'] } }
      : {}),
    ...(props.provisioning === 'reserved' ? { schedulingConfig: { reserved: true } } : {}),
    labels: { ...props.labels, [STACK_LABEL]: context.stack },
    metadata,
    tags: props.tags,
  };
  return {
    tpu: { nodeSpec: [{ parent, nodeId, node }] },
    ...(props.provisioning === 'spot' ? { spot: {} } : { guaranteed: {} }),
    ...(props.provisioning === 'reserved' && props.reservationName
      ? { reservationName: props.reservationName }
      : {}),
  };
}

/** The node spec of a queued resource (Strato makes one node per queued resource). */
export function nodeSpecOf(queued: QueuedResource): Node | undefined {
  return queued.tpu?.nodeSpec?.[0]?.node ?? undefined;
}

/** The stack label a queued resource's node carries. */
export function stackLabelOf(queued: QueuedResource, node?: Node): string | undefined {
  return (node?.labels ?? nodeSpecOf(queued)?.labels)?.[STACK_LABEL];
}

/** The enum name, whether the client decoded it as a name or a number. */
function enumName(value: unknown, byNumber: Record<number, string> = {}): string {
  if (typeof value === 'number') return byNumber[value] ?? String(value);
  return String(value ?? '');
}

function generationOfConfig(type: unknown): TpuSliceProps['generation'] {
  const name = enumName(type, CONFIG_TYPE_BY_NUMBER);
  return Object.entries(CONFIG_TYPE).find(([, v]) => v === name)?.[0] as TpuSliceProps['generation'];
}

/**
 * The props a queued resource and its node stand for now: the spec as asked,
 * with labels, metadata and tags from the live node (what gcloud changes).
 * A reference (`{ ref }`) in the desired props reads back as the value it
 * resolved to, so the engine compares resolved values.
 */
export function propsOf(
  queued: QueuedResource,
  node: Node | undefined,
  project: string,
  zone: string,
): TpuSliceProps {
  const spec = nodeSpecOf(queued) ?? {};
  const live = node ?? spec;
  const { [STACK_LABEL]: _stack, ...labels } = live.labels ?? {};
  const { [STARTUP_SCRIPT]: startupScript, ...withWork } = live.metadata ?? {};
  // A job handed to a standing slice (its work keys, src/agent/layout.ts) is not drift of the stack.
  const metadata = Object.fromEntries(Object.entries(withWork).filter(([key]) => !isWorkKey(key)));
  const config = spec.acceleratorConfig;
  const reserved = Boolean(spec.schedulingConfig?.reserved);
  const props: TpuSliceProps = {
    project,
    zone,
    ...(spec.acceleratorType
      ? { acceleratorType: spec.acceleratorType }
      : { generation: generationOfConfig(config?.type), topology: config?.topology ?? '' }),
    runtimeVersion: spec.runtimeVersion ?? '',
    provisioning: queued.spot ? 'spot' : reserved ? 'reserved' : 'guaranteed',
    enableExternalIps: Boolean(spec.networkConfig?.enableExternalIps),
    labels,
    metadata,
    tags: [...(live.tags ?? [])],
  };
  if (queued.reservationName) props.reservationName = queued.reservationName;
  if (spec.networkConfig?.network) props.network = spec.networkConfig.network;
  if (spec.networkConfig?.subnetwork) props.subnetwork = spec.networkConfig.subnetwork;
  if (spec.serviceAccount?.email) props.serviceAccount = spec.serviceAccount.email;
  if (startupScript !== undefined) props.startupScript = startupScript;
  return props;
}

/** The queued resource's state name (`WAITING_FOR_RESOURCES`, `ACTIVE`, …). */
export function queuedStateOf(queued: QueuedResource): string {
  const names = [
    'STATE_UNSPECIFIED',
    'CREATING',
    'ACCEPTED',
    'PROVISIONING',
    'FAILED',
    'DELETING',
    'ACTIVE',
    'SUSPENDING',
    'SUSPENDED',
    'WAITING_FOR_RESOURCES',
  ];
  return enumName(queued.state?.state, Object.fromEntries(names.map((n, i) => [i, n])));
}

/** The node's state name (`READY`, `PREEMPTED`, …). */
export function nodeStateOf(node: Node): string {
  const names = [
    'STATE_UNSPECIFIED',
    'CREATING',
    'READY',
    'RESTARTING',
    'REIMAGING',
    'DELETING',
    'REPAIRING',
    '',
    'STOPPED',
    'STOPPING',
    'STARTING',
    'PREEMPTED',
    'TERMINATED',
    'HIDING',
    'HIDDEN',
    'UNHIDING',
    'UNKNOWN',
  ];
  return enumName(node.state, Object.fromEntries(names.map((n, i) => [i, n])));
}

/** What job specs and `strato infra outputs` read: the node, its workers' internal IPs, its state. */
export function outputsOf(queued: QueuedResource, node: Node | undefined): Record<string, unknown> {
  const spec = nodeSpecOf(queued);
  const endpoints = node?.networkEndpoints ?? [];
  return {
    queuedResource: queued.name ?? '',
    node:
      node?.name ||
      (queued.tpu?.nodeSpec?.[0]
        ? `${queued.tpu.nodeSpec[0].parent}/nodes/${queued.tpu.nodeSpec[0].nodeId}`
        : ''),
    nodeId: queued.tpu?.nodeSpec?.[0]?.nodeId ?? '',
    acceleratorType: node?.acceleratorType || spec?.acceleratorType || '',
    state: queuedStateOf(queued),
    ...(node ? { nodeState: nodeStateOf(node) } : {}),
    workerEndpoints: endpoints.map((e) => e.ipAddress ?? ''),
    workers: endpoints.map((e, index) => ({ index, ipAddress: e.ipAddress ?? '', port: e.port ?? 0 })),
  };
}
