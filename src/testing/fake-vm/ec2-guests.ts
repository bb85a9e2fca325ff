/**
 * moto's EC2 instances as fake VMs: moto keeps instances as records only,
 * so this adapter watches them — DescribeInstances every `intervalMs`
 * through the real EC2 client, for instances carrying the `strato-job` tag
 * — and boots each one that runs: its user data (DescribeInstanceAttribute
 * userData) run as the VM's script, with a fake IMDS (`imds-server.ts`) of
 * its own, the docker shim, and its private DNS name resolving to loopback
 * in the fleet's hosts file (so TF_CONFIG's peers reach each other). An
 * instance moto lists as shutting-down, stopped or terminated — or no
 * longer lists — is shut down (its processes killed), as EC2 would.
 *
 * moto gaps handled here: moto never runs user data and has no IMDS (both
 * done here); it does not apply a launch template's MetadataOptions (the
 * provider sends them with RunInstances, and this reads them per instance).
 */

import type { EC2Client, Instance } from '@aws-sdk/client-ec2';
import { sleep } from '../../internal/sleep.ts';
import type { VmFleet } from './fleet.ts';
import type { VmIdentity } from './identity.ts';
import { type ImdsInstance, startImdsServer } from './imds-server.ts';

export interface Ec2GuestsOptions {
  /** moto's endpoint. */
  endpoint: string;
  region?: string;
  /** How often moto is asked; default 250 ms. */
  intervalMs?: number;
  /** Only instances with this tag key boot (default `strato-job`): the stack's own instances stay records. */
  tagKey?: string;
}

export function ec2VmId(instanceId: string): string {
  return `ec2/${instanceId}`;
}

type Ec2Sdk = typeof import('@aws-sdk/client-ec2');

export class Ec2Guests {
  /** Loaded on first use: `strato/testing` does not load the AWS SDK for those who never boot EC2. */
  private readonly ec2: Promise<{ client: EC2Client; sdk: Ec2Sdk }>;
  private readonly fleet: VmFleet;
  private readonly options: Ec2GuestsOptions;
  /** Instance id → its latest description (tags read live by its IMDS). */
  private readonly seen = new Map<string, Instance>();
  private readonly booted = new Set<string>();
  /** Instance id → what its script printed (its console output), the last 64 KB. */
  private readonly consoles = new Map<string, string>();
  private readonly stopped = new AbortController();
  private readonly loop: Promise<void>;

  constructor(fleet: VmFleet, options: Ec2GuestsOptions) {
    this.fleet = fleet;
    this.options = options;
    this.ec2 = import('@aws-sdk/client-ec2').then((sdk) => ({
      sdk,
      client: new sdk.EC2Client({
        region: options.region ?? 'us-east-1',
        endpoint: options.endpoint,
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      }),
    }));
    this.loop = this.run();
  }

  /** What an instance's script printed so far (for a test's failure message). */
  consoleOf(instanceId: string): string {
    return this.consoles.get(instanceId) ?? '';
  }

  /** Ids of the instances booted now. */
  running(): string[] {
    return [...this.booted];
  }

  private async run(): Promise<void> {
    while (!this.stopped.signal.aborted) {
      try {
        await this.tick();
      } catch {
        // moto busy or restarting: ask again next time.
      }
      await sleep(this.options.intervalMs ?? 250, this.stopped.signal).catch(() => undefined);
    }
  }

  private async tick(): Promise<void> {
    const { client, sdk } = await this.ec2;
    const listed = new Map<string, Instance>();
    let token: string | undefined;
    do {
      const page = await client.send(
        new sdk.DescribeInstancesCommand({
          Filters: [{ Name: 'tag-key', Values: [this.options.tagKey ?? 'strato-job'] }],
          ...(token ? { NextToken: token } : {}),
        }),
      );
      for (const r of page.Reservations ?? [])
        for (const i of r.Instances ?? []) listed.set(i.InstanceId!, i);
      token = page.NextToken;
    } while (token);
    if (this.stopped.signal.aborted) return;
    for (const [id, instance] of listed) {
      this.seen.set(id, instance);
      if (instance.State?.Name === 'running' && !this.booted.has(id)) await this.bootOne(instance);
    }
    for (const id of [...this.booted]) {
      const state = listed.get(id)?.State?.Name;
      if (state === 'running' || state === 'pending') continue;
      this.booted.delete(id);
      void this.fleet.halt(ec2VmId(id), state === 'terminated' || state === undefined);
    }
  }

  private async bootOne(instance: Instance): Promise<void> {
    const id = instance.InstanceId!;
    const { client, sdk } = await this.ec2;
    const attribute = await client.send(
      new sdk.DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }),
    );
    const userData = Buffer.from(attribute.UserData?.Value ?? '', 'base64').toString('utf8');
    this.booted.add(id);
    const dns = instance.PrivateDnsName ?? `${id}.ec2.internal`;
    const current = () => this.seen.get(id) ?? instance;
    const imds: ImdsInstance = {
      instanceId: id,
      privateIp: instance.PrivateIpAddress ?? '127.0.0.1',
      privateDnsName: dns,
      region: this.options.region ?? 'us-east-1',
      availabilityZone: instance.Placement?.AvailabilityZone ?? `${this.options.region ?? 'us-east-1'}a`,
      instanceType: instance.InstanceType ?? '',
      userData,
      tags: () => Object.fromEntries((current().Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
      tagsInMetadata: () => current().MetadataOptions?.InstanceMetadataTags === 'enabled',
    };
    const name = imds.tags().Name ?? id;
    const identity: VmIdentity = {
      id: ec2VmId(id),
      instanceId: id,
      name,
      hostname: dns,
      aliases: [dns, dns.split('.')[0]!],
      project: '',
      zone: imds.availabilityZone,
      ip: imds.privateIp,
      attributes: () => imds.tags(),
      guestAttributesEnabled: () => false,
      getGuestAttribute: () => undefined,
      setGuestAttribute: () => undefined,
      console: (text) => this.consoles.set(id, ((this.consoles.get(id) ?? '') + text).slice(-65_536)),
    };
    // A script without a shebang is still run by bash (cloud-init would refuse it; Strato always sends one).
    this.fleet.boot(identity, userData, () => startImdsServer(imds));
  }

  /** Stops watching and shuts every instance it booted down. */
  async close(): Promise<void> {
    this.stopped.abort();
    await this.loop;
    await this.fleet.haltAll('ec2/');
    (await this.ec2).client.destroy();
  }
}
