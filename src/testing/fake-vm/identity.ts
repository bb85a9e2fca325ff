/**
 * What a booted fake VM is to the rest of the fake: the names it answers to,
 * the metadata its metadata server serves (read live, so a `setMetadata`
 * shows at once), and where its guest attributes and console output go —
 * the fake Compute instance or the fake TPU node it belongs to, so the
 * service's own APIs (`getGuestAttributes`, `getSerialPortOutput`) read them.
 */

export interface VmIdentity {
  /** Unique in the fleet: `compute/<instance id>`, `tpu/<node name>/<worker>`. */
  id: string;
  /** `instance/id`: the instance's numeric id (a TPU worker's: one of the node's). */
  instanceId: string;
  /** `instance/name`. */
  name: string;
  /** `instance/hostname`: the VM's internal DNS name. */
  hostname: string;
  /** Every name that resolves to this VM (to 127.0.0.1 on the fake: all VMs share loopback). */
  aliases: string[];
  project: string;
  zone: string;
  /** `instance/network-interfaces/0/ip`. */
  ip: string;
  /** Instance attributes (custom metadata, plus what the service adds, e.g. `agent-worker-number`). */
  attributes(): Record<string, string>;
  /** False where the VM may not write guest attributes (GCE without `enable-guest-attributes=TRUE`). */
  guestAttributesEnabled(): boolean;
  getGuestAttribute(namespace: string, key: string): string | undefined;
  setGuestAttribute(namespace: string, key: string, value: string): void;
  /** Appends to the VM's serial console. */
  console(text: string): void;
}

/** The fake's one project number (a real one is 12 digits, as the default service account shows). */
export const FAKE_PROJECT_NUMBER = '123456789012';
