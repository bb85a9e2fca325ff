/**
 * A `tpu-vm` job's slices through `@google-cloud/tpu` (the infra layer's
 * REST client, `infra/gcp/tpu-client.ts`): one queued resource per attempt
 * whose node carries the job's labels and the machines' metadata
 * (`../../agent/layout.ts`; each host picks its replica by
 * `agent-worker-number`), read for many jobs with one list of queued
 * resources and one of nodes per zone, deleted with `force` (its node too).
 */

import type { google } from '@google-cloud/tpu/build/protos/protos.js';
import type { TpuClient } from '../../infra/gcp/tpu-client.ts';
import { isAlreadyExists, isNotFound, translateTpuError } from '../../infra/gcp/tpu-errors.ts';
import { nodeStateOf, queuedStateOf } from '../../infra/gcp/tpu-queued-resource-body.ts';
import type { MachineFact } from '../machines/attempt-status.ts';
import { buildLaunch, machineMetadata } from '../machines/launch.ts';
import { queuedResourceId, type TpuJobRecord } from './record.ts';

type Queued = google.cloud.tpu.v2.IQueuedResource;
type Node = google.cloud.tpu.v2.INode;

export const parentOf = (record: Pick<TpuJobRecord, 'project' | 'zone'>) =>
  `projects/${record.project}/locations/${record.zone}`;

/** The queued resource of attempt `attempt`: its node runs every host's replica. */
export function queuedResourceFor(
  record: TpuJobRecord,
  attempt: number,
  launch: { startupScript: string; control: string },
): Queued {
  const nodeId = queuedResourceId(record.jobId, attempt);
  // TPU_NAME names the slice (multi-host): this attempt's node.
  const replicas = record.replicas.map((r) => ({
    name: r.name,
    worker: r.index,
    runsProgram: r.runsProgram,
    env: r.env.TPU_NAME && r.env.TPU_NAME !== 'local' ? { ...r.env, TPU_NAME: nodeId } : { ...r.env },
  }));
  const machineLaunch = buildLaunch({
    image: record.image,
    command: record.command,
    args: record.args,
    // The TPU devices are only reachable from a privileged container (https://cloud.google.com/tpu/docs/run-in-container).
    dockerFlags: ['--privileged'],
    replicas,
  });
  const node: Node = {
    acceleratorType: record.acceleratorType,
    runtimeVersion: record.runtimeVersion,
    networkConfig: {
      ...(record.network ? { network: record.network } : {}),
      enableExternalIps: true,
    },
    ...(record.serviceAccount
      ? {
          serviceAccount: {
            email: record.serviceAccount,
            scope: ['https://www.googleapis.com/auth/cloud-platform'],
          },
        }
      : {}),
    labels: { ...record.labels, 'strato-job': record.jobId, 'strato-attempt': String(attempt) },
    metadata: machineMetadata({
      startupScript: launch.startupScript,
      jobId: record.jobId,
      attempt,
      control: launch.control,
      storageApi: record.storageEndpoint,
      launch: machineLaunch,
    }),
  };
  return {
    tpu: { nodeSpec: [{ parent: parentOf(record), nodeId, node }] },
    ...(record.provisioning === 'spot' ? { spot: {} } : { guaranteed: {} }),
  };
}

const context = (record: TpuJobRecord, action: string) => ({
  action,
  project: record.project,
  zone: record.zone,
});

/** Queues attempt `attempt`'s slice; one queued already (a lost answer, another process) is kept. */
export async function createAttemptSlice(
  client: TpuClient,
  record: TpuJobRecord,
  attempt: number,
  launch: { startupScript: string; control: string },
): Promise<void> {
  const id = queuedResourceId(record.jobId, attempt);
  try {
    await client.createQueuedResource({
      parent: parentOf(record),
      queuedResourceId: id,
      queuedResource: queuedResourceFor(record, attempt, launch),
    });
  } catch (error) {
    const failure = translateTpuError(error, context(record, `creating queued resource ${id}`));
    if (!isAlreadyExists(error)) throw failure;
    // Taken: the job's own (an answer lost, or another process of the job created it) when it is there.
    try {
      await client.getQueuedResource({ name: `${parentOf(record)}/queuedResources/${id}` });
    } catch (lookup) {
      if (isNotFound(lookup)) throw failure;
      throw translateTpuError(lookup, context(record, `reading queued resource ${id}`));
    }
  }
}

/** Deletes queued resources (with their nodes) and waits; one already gone is fine. */
export async function deleteSlices(
  client: TpuClient,
  record: TpuJobRecord,
  ids: readonly string[],
): Promise<void> {
  await Promise.all(
    ids.map(async (id) => {
      const name = `${parentOf(record)}/queuedResources/${id}`;
      try {
        const [operation] = await client.deleteQueuedResource({ name, force: true });
        await operation.promise();
      } catch (error) {
        if (isNotFound(error)) return;
        throw translateTpuError(error, context(record, `deleting queued resource ${id}`));
      }
    }),
  );
}

/** Every queued resource of the job (any attempt) in its zone, by id. */
export async function jobSliceIds(client: TpuClient, record: TpuJobRecord): Promise<string[]> {
  const prefix = queuedResourceId(record.jobId, 0).replace(/0$/, '');
  try {
    const [list] = await client.listQueuedResources({ parent: parentOf(record) });
    return list
      .map((q) => q.name?.split('/').at(-1) ?? '')
      .filter((id) => id.startsWith(prefix) && /^\d+$/.test(id.slice(prefix.length)));
  } catch (error) {
    throw translateTpuError(error, context(record, `listing queued resources in ${record.zone}`));
  }
}

/** One list of queued resources and one of nodes in a zone. */
export async function listZone(
  client: TpuClient,
  record: TpuJobRecord,
): Promise<{ queued: Map<string, Queued>; nodes: Map<string, Node> }> {
  try {
    const [[queued], [nodes]] = await Promise.all([
      client.listQueuedResources({ parent: parentOf(record) }),
      client.listNodes({ parent: parentOf(record) }),
    ]);
    return {
      queued: new Map(queued.map((q) => [q.name?.split('/').at(-1) ?? '', q])),
      nodes: new Map(nodes.map((n) => [n.name?.split('/').at(-1) ?? '', n])),
    };
  } catch (error) {
    throw translateTpuError(error, context(record, `listing TPU slices in ${record.zone}`));
  }
}

const WAITING = new Set([
  'CREATING',
  'ACCEPTED',
  'WAITING_FOR_RESOURCES',
  'PROVISIONING',
  'STATE_UNSPECIFIED',
]);

/** What the cloud says of an attempt's slice, and why it is not running yet. */
export function sliceFact(
  record: TpuJobRecord,
  id: string,
  queued: Queued | undefined,
  node: Node | undefined,
  since: string,
  now: Date,
): { fact: MachineFact; waiting?: string } {
  if (!queued) return { fact: { state: 'gone', machine: id, detail: 'deleted' } };
  const state = queuedStateOf(queued);
  if (WAITING.has(state)) {
    const minutes = Math.max(0, Math.round((now.getTime() - Date.parse(since)) / 60_000));
    const why =
      state === 'WAITING_FOR_RESOURCES'
        ? `: no ${record.acceleratorType} ${record.provisioning === 'spot' ? 'spot ' : ''}capacity yet`
        : '';
    return {
      fact: { state: 'creating', machine: id },
      waiting: `queued resource ${state} in ${record.zone} for ${minutes} min${why}`,
    };
  }
  if (state === 'ACTIVE') {
    const nodeState = node ? nodeStateOf(node) : 'missing';
    if (nodeState === 'READY') return { fact: { state: 'running', machine: id } };
    if (nodeState === 'CREATING' || nodeState === 'STARTING')
      return { fact: { state: 'creating', machine: id } };
    return { fact: { state: 'gone', machine: id, detail: `node ${nodeState}` } };
  }
  if (state === 'FAILED') {
    const reason = queued.state?.failedData?.error?.message;
    return { fact: { state: 'gone', machine: id, detail: `FAILED${reason ? ` (${reason})` : ''}` } };
  }
  return { fact: { state: 'gone', machine: id, detail: state } };
}
