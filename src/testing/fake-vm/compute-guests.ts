/**
 * The fake Compute Engine's VMs as fake VMs: an instance that reaches
 * RUNNING boots in the fleet (with its `startup-script` metadata), a stop,
 * preemption or delete shuts it down. Its guest attributes and serial
 * console live on the fake Compute's context, where `getGuestAttributes`
 * and `getSerialPortOutput` read them.
 */

import type { Json } from '../fake-compute/operations.ts';
import type { ComputeContext, InstanceEvents } from '../fake-compute/state.ts';
import type { VmFleet } from './fleet.ts';
import type { VmIdentity } from './identity.ts';

/** At most this much serial output is kept per VM (the service keeps the last 1 MB too). */
const SERIAL_LIMIT = 1024 * 1024;

function metadataOf(instance: Json): Record<string, string> {
  const items = ((instance.metadata as Json | undefined)?.items ?? []) as { key?: string; value?: string }[];
  return Object.fromEntries(items.filter((i) => i.key).map((i) => [i.key!, String(i.value ?? '')]));
}

export function computeVmId(instance: Json): string {
  return `compute/${String(instance.id)}`;
}

function identityOf(ctx: ComputeContext, key: string, instance: Json): VmIdentity {
  const [project, zone, name] = key.split('/') as [string, string, string];
  const id = String(instance.id);
  const hostname = `${name}.${zone}.c.${project}.internal`;
  const nic = ((instance.networkInterfaces ?? []) as Json[])[0];
  const guest = () => {
    const values = ctx.guestAttributes.get(id) ?? new Map<string, string>();
    ctx.guestAttributes.set(id, values);
    return values;
  };
  return {
    id: computeVmId(instance),
    instanceId: id,
    name,
    hostname,
    aliases: [name, hostname],
    project,
    zone,
    ip: String(nic?.networkIP ?? '127.0.0.1'),
    attributes: () => metadataOf(instance),
    // https://cloud.google.com/compute/docs/metadata/manage-guest-attributes#enable_attributes
    guestAttributesEnabled: () => metadataOf(instance)['enable-guest-attributes']?.toUpperCase() === 'TRUE',
    getGuestAttribute: (namespace, key) => guest().get(`${namespace}/${key}`),
    setGuestAttribute: (namespace, key, value) => guest().set(`${namespace}/${key}`, value),
    console: (text) =>
      ctx.serialOutput.set(id, ((ctx.serialOutput.get(id) ?? '') + text).slice(-SERIAL_LIMIT)),
  };
}

/** The events fake Compute calls as its instances come and go. */
export function computeGuests(ctx: ComputeContext, fleet: VmFleet): InstanceEvents {
  return {
    running(key, instance) {
      fleet.boot(identityOf(ctx, key, instance), metadataOf(instance)['startup-script']);
    },
    halted(_key, instance, reason) {
      void fleet.halt(
        computeVmId(instance),
        reason === 'delete' || instanceDeletedOnPreempt(instance, reason),
      );
    },
  };
}

function instanceDeletedOnPreempt(instance: Json, reason: string): boolean {
  return (
    reason === 'preempt' && (instance.scheduling as Json | undefined)?.instanceTerminationAction === 'DELETE'
  );
}
