/**
 * The fake Cloud TPU's worker VMs as fake VMs: a node that becomes READY
 * boots one VM per worker host (its network endpoints), each with the
 * node's metadata plus what a TPU VM's metadata server adds —
 * `agent-worker-number`, `worker-network-endpoints`, `accelerator-type` —
 * and a stop, preemption or delete shuts them all down. Guest attributes go
 * to the node, per worker, where `nodes.getGuestAttributes` reads them.
 */

import { createHash } from 'node:crypto';
import type { NodeEvents, Nodes } from '../fake-tpu/nodes.ts';
import type { NodeJson } from '../fake-tpu/types.ts';
import type { VmFleet } from './fleet.ts';
import type { VmIdentity } from './identity.ts';

/**
 * A worker's VM name as TPU VMs have them, `t1v-n-<8 hex>-w-<worker>`: the
 * hex from the node's full name, so it is the same at every boot.
 */
export function tpuWorkerHostname(nodeName: string, worker: number): string {
  const hash = createHash('sha256').update(nodeName).digest('hex').slice(0, 8);
  return `t1v-n-${hash}-w-${worker}`;
}

export function tpuVmId(nodeName: string, worker: number): string {
  return `tpu/${nodeName}/${worker}`;
}

/**
 * `worker-network-endpoints` as TPU VMs publish it: one `<name>:<port>:<ip>`
 * per worker, comma-separated (the readers — JAX's and torch_xla's cluster
 * code — take field 2 as the IP and the name's last character as the worker).
 */
function workerEndpoints(name: string, node: NodeJson): string {
  return (node.networkEndpoints ?? [])
    .map((endpoint, worker) => `${tpuWorkerHostname(name, worker)}:${endpoint.port}:${endpoint.ipAddress}`)
    .join(',');
}

function identityOf(nodes: Nodes, name: string, node: NodeJson, worker: number): VmIdentity {
  const [, project, , zone, , nodeId] = name.split('/') as string[];
  const hostname = tpuWorkerHostname(name, worker);
  const ip = node.networkEndpoints?.[worker]?.ipAddress ?? '127.0.0.1';
  return {
    id: tpuVmId(name, worker),
    instanceId: String(
      parseInt(createHash('sha256').update(`${name}/${worker}`).digest('hex').slice(0, 12), 16),
    ),
    name: hostname,
    hostname,
    aliases: [hostname, `${nodeId}-w-${worker}`],
    project: project!,
    zone: zone!,
    ip,
    attributes: () => ({
      ...node.metadata,
      'agent-worker-number': String(worker),
      'worker-network-endpoints': workerEndpoints(name, node),
      'accelerator-type': node.acceleratorType ?? '',
    }),
    // TPU VMs have guest attributes on (gcloud compute tpus tpu-vm get-guest-attributes reads them).
    guestAttributesEnabled: () => true,
    getGuestAttribute: (namespace, key) => nodes.guestAttribute(name, worker, namespace, key),
    setGuestAttribute: (namespace, key, value) => {
      if (nodes.has(name)) nodes.setGuestAttribute(name, worker, { namespace, key, value });
    },
    console: () => {},
  };
}

/** The events fake TPU calls as its nodes come and go. */
export function tpuGuests(nodes: Nodes, fleet: VmFleet): NodeEvents {
  return {
    ready(name, node) {
      (node.networkEndpoints ?? []).forEach((_, worker) => {
        fleet.boot(identityOf(nodes, name, node, worker), node.metadata?.['startup-script']);
      });
    },
    halted(name, node, reason) {
      (node.networkEndpoints ?? []).forEach((_, worker) => {
        void fleet.halt(tpuVmId(name, worker), reason === 'delete');
      });
    },
  };
}
