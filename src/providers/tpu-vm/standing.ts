/**
 * A `tpu-vm` job on a standing slice (`provider.slice: <stack>/<TpuSlice id>`):
 * the stack's TPU node, found in its state, runs the job's hosts — worker 0
 * the program on a pod, the others their idle part — and stays. An attempt
 * is handed over by patching the node's metadata with the work keys of
 * src/agent/layout.ts (`nodes.patch`, update mask `metadata`: every worker's
 * metadata server serves it), and taken back by patching them away; the
 * agent on each worker runs the work and stops it when its keys go. A TPU
 * node is not restarted in place: a preempted standing slice ends the job,
 * with the fix (deploy the stack again).
 */

import type { google } from '@google-cloud/tpu/build/protos/protos.js';
import { StratoError } from '../../errors.ts';
import type { TpuClient } from '../../infra/gcp/tpu-client.ts';
import { isNotFound, translateTpuError } from '../../infra/gcp/tpu-errors.ts';
import { nodeStateOf } from '../../infra/gcp/tpu-queued-resource-body.ts';
import { TPU_QUEUED_RESOURCE_KIND } from '../../infra/gcp/tpu-slice.ts';
import type { MachineFact } from '../machines/attempt-status.ts';
import { buildLaunch, machineMetadata } from '../machines/launch.ts';
import {
  agentMissing,
  busyWith,
  carriesAgent,
  findStandingResources,
  parseStandingRef,
  withoutWork,
  workOf,
} from '../machines/standing.ts';
import type { TpuJobRecord } from './record.ts';

type Node = google.cloud.tpu.v2.INode;

const FIELD = 'provider.slice';

export interface StandingSlice {
  /** `projects/P/locations/Z/nodes/ID`. */
  node: string;
  nodeId: string;
  zone: string;
}

/** The node of `ref` in its stack's state. */
export async function findStandingSlice(ref: string, baseDir: string): Promise<StandingSlice> {
  const [found] = await findStandingResources(
    parseStandingRef(ref),
    TPU_QUEUED_RESOURCE_KIND,
    { field: FIELD, construct: 'TpuSlice' },
    baseDir,
  );
  const { project, location, name } = found!.ref;
  return { node: `projects/${project}/locations/${location}/nodes/${name}`, nodeId: name, zone: location };
}

export async function getStandingNode(
  client: TpuClient,
  record: TpuJobRecord,
  slice: StandingSlice,
): Promise<Node | undefined> {
  try {
    const [node] = await client.getNode({ name: slice.node });
    return node;
  } catch (error) {
    if (isNotFound(error)) return undefined;
    throw translateTpuError(error, {
      action: `reading TPU node ${slice.nodeId}`,
      project: record.project,
      zone: slice.zone,
    });
  }
}

const metadataOf = (node: Node): Record<string, string> => ({ ...(node.metadata ?? {}) });

/** Checks the slice can take the job: it exists, is READY, carries the agent, is the spec's type, and is free. */
export async function checkStandingSlice(
  client: TpuClient,
  record: TpuJobRecord,
  ref: string,
  slice: StandingSlice,
): Promise<void> {
  const parsed = parseStandingRef(ref);
  const node = await getStandingNode(client, record, slice);
  if (!node) {
    throw new StratoError('E_NOT_FOUND', `${FIELD}: TPU node ${slice.nodeId} of ${ref} does not exist`, {
      hint: `run strato infra deploy for stack ${parsed.stack} to create it again`,
    });
  }
  const metadata = metadataOf(node);
  if (!carriesAgent(metadata)) throw agentMissing(FIELD, parsed, 'TpuSlice', `TPU node ${slice.nodeId}`);
  if (node.acceleratorType && node.acceleratorType !== record.acceleratorType) {
    throw new StratoError(
      'E_UNSUPPORTED',
      `${FIELD}: ${ref} is a ${node.acceleratorType} slice; the job asks for ${record.acceleratorType}`,
      {
        hint: `set the spec's slice to ${node.acceleratorType}, or use a TpuSlice of ${record.acceleratorType}`,
      },
    );
  }
  const work = workOf(metadata);
  if (work && work.jobId !== record.jobId) throw busyWith(FIELD, `TPU node ${slice.nodeId}`, work);
  const state = nodeStateOf(node);
  if (state !== 'READY') {
    throw new StratoError(
      'E_UNSUPPORTED',
      `${FIELD}: TPU node ${slice.nodeId} of ${ref} is ${state}, not READY`,
      {
        hint:
          state === 'PREEMPTED'
            ? `a preempted TPU node is not restarted: run strato infra deploy for stack ${parsed.stack} (it replaces the slice)`
            : 'wait until it is READY (strato infra show), then submit again',
      },
    );
  }
}

async function patchMetadata(
  client: TpuClient,
  record: TpuJobRecord,
  slice: StandingSlice,
  change: (current: Record<string, string>) => Record<string, string> | undefined,
): Promise<void> {
  const node = await getStandingNode(client, record, slice);
  if (!node) return;
  const next = change(metadataOf(node));
  if (!next) return;
  try {
    const [operation] = await client.updateNode({
      node: { name: slice.node, metadata: next },
      updateMask: { paths: ['metadata'] },
    });
    await operation.promise();
  } catch (error) {
    throw translateTpuError(error, {
      action: `setting the metadata of TPU node ${slice.nodeId}`,
      project: record.project,
      zone: slice.zone,
    });
  }
}

/** Hands attempt `attempt` to the slice: each worker runs the replica of its `agent-worker-number`. */
export async function handOverSlice(
  client: TpuClient,
  record: TpuJobRecord,
  slice: StandingSlice,
  attempt: number,
  control: string,
): Promise<void> {
  const replicas = record.replicas.map((r) => ({
    name: r.name,
    worker: r.index,
    runsProgram: r.runsProgram,
    // TPU_NAME names the slice (multi-host): the standing node.
    env: r.env.TPU_NAME && r.env.TPU_NAME !== 'local' ? { ...r.env, TPU_NAME: slice.nodeId } : { ...r.env },
  }));
  const launch = buildLaunch({
    image: record.image,
    command: record.command,
    args: record.args,
    // The TPU devices are only reachable from a privileged container (https://cloud.google.com/tpu/docs/run-in-container).
    dockerFlags: ['--privileged'],
    replicas,
  });
  const { 'startup-script': _script, ...keys } = machineMetadata({
    startupScript: '',
    jobId: record.jobId,
    attempt,
    control,
    storageApi: record.storageEndpoint,
    launch,
  });
  await patchMetadata(client, record, slice, (current) => {
    const work = workOf(current);
    if (work && work.jobId !== record.jobId) throw busyWith(FIELD, `TPU node ${slice.nodeId}`, work);
    return { ...withoutWork(current), ...keys };
  });
}

/** Takes the job back: the work keys go where they still name it (the agents stop what runs). */
export async function takeBackSlice(
  client: TpuClient,
  record: TpuJobRecord,
  slice: StandingSlice,
): Promise<void> {
  await patchMetadata(client, record, slice, (current) =>
    workOf(current)?.jobId === record.jobId ? withoutWork(current) : undefined,
  );
}

/** What the cloud says of the standing node. */
export function standingSliceFact(slice: StandingSlice, node: Node | undefined): MachineFact {
  if (!node) return { state: 'gone', machine: slice.nodeId, detail: 'deleted' };
  const state = nodeStateOf(node);
  if (state === 'READY') return { state: 'running', machine: slice.nodeId };
  if (state === 'CREATING' || state === 'STARTING') return { state: 'creating', machine: slice.nodeId };
  return { state: 'gone', machine: slice.nodeId, detail: `node ${state}` };
}
