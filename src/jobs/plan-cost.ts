/**
 * What a cluster plan costs an hour, from the list prices of the catalog
 * (`spec/catalog/prices.ts`, the table `strato infra plan` uses): each group
 * of alike machines × its price, on-demand and spot, and the total of the
 * capacity the spec asks for. Machines only (no disks, network or storage),
 * no discounts: an estimate to decide on, not a bill. A machine missing from
 * the table makes the total unknown and is named, never guessed.
 */

import { findFixedGpuMachine } from '../spec/catalog/gpu.ts';
import { gpuVmHourlyPrice, type HourlyPrice, tpuSliceHourlyPrice } from '../spec/catalog/prices.ts';
import type { ClusterPlan, ReplicaPlan } from '../strategies/plan.ts';

/** Alike machines of one role. */
export interface MachineGroup {
  /** The replicas' role (`worker`, `chief`, `tpu-host`, …). */
  role: string;
  count: number;
  /** What one of them is, e.g. `n1-standard-8 + 1 × nvidia-tesla-t4`, `TPU v4-32 slice (16 chips)`. */
  machine: string;
  /** List price of one, per hour; undefined when the table does not have it. */
  unit?: HourlyPrice;
}

export interface PlanCost {
  provider: string;
  /** Region or zone of the provider, when the spec names one. */
  location?: string;
  spot: boolean;
  groups: MachineGroup[];
  /** Machines the price table does not know (then the totals are undefined). */
  unknown: string[];
  /** USD per hour, every machine on-demand. */
  onDemandUsd?: number;
  /** USD per hour, every machine as spot (undefined if one is not offered as spot). */
  spotUsd?: number;
  /** USD per hour of the capacity the spec asks for (`scheduling.spot`). */
  hourlyUsd?: number;
  /** `scheduling.maxCostUsd`, when set. */
  maxCostUsd?: number;
}

const sum = (values: readonly (number | undefined)[]): number | undefined =>
  values.some((v) => v === undefined)
    ? undefined
    : Math.round(values.reduce<number>((a, v) => a + v!, 0) * 10_000) / 10_000;

function machineOf(replica: ReplicaPlan): { key: string; machine: string; unit?: HourlyPrice } {
  const { tpu, machineType, accelerator } = replica.resources;
  if (tpu) {
    const unit = tpuSliceHourlyPrice(tpu.type);
    return {
      key: `tpu:${tpu.type}`,
      machine: `TPU ${tpu.type} slice (${tpu.chips} chips)`,
      ...(unit ? { unit } : {}),
    };
  }
  if (!machineType) return { key: 'default', machine: "the provider's default machine" };
  // A2, A3 and G2 carry their GPUs in the machine type: the name says it all.
  const attached = accelerator && accelerator.count > 0 && !findFixedGpuMachine(machineType);
  const gpus = attached ? ` + ${accelerator.count} × ${accelerator.type}` : '';
  const unit = gpuVmHourlyPrice(machineType, accelerator);
  return { key: `${machineType}${gpus}`, machine: `${machineType}${gpus}`, ...(unit ? { unit } : {}) };
}

/**
 * The hourly cost of a plan; undefined for the local provider (it costs
 * nothing). The hosts of one TPU slice are one machine: the slice is priced
 * once, whatever number of hosts it has.
 */
export function planCost(plan: ClusterPlan): PlanCost | undefined {
  if (plan.provider.name === 'local') return undefined;
  const groups = new Map<string, MachineGroup & { hosts: number }>();
  for (const replica of plan.replicas) {
    const { key, machine, unit } = machineOf(replica);
    const groupKey = `${replica.role}|${key}`;
    const group = groups.get(groupKey) ?? {
      role: replica.role,
      count: 0,
      machine,
      hosts: 0,
      ...(unit ? { unit } : {}),
    };
    group.hosts += 1;
    group.count = replica.resources.tpu ? Math.ceil(group.hosts / replica.resources.tpu.hosts) : group.hosts;
    groups.set(groupKey, group);
  }
  const list = [...groups.values()].map(({ hosts: _hosts, ...group }) => group);
  const unknown = list.filter((g) => !g.unit).map((g) => g.machine);
  const onDemandUsd = sum(list.map((g) => (g.unit ? g.unit.onDemandUsd * g.count : undefined)));
  const spotUsd = sum(
    list.map((g) => (g.unit?.spotUsd !== undefined ? g.unit.spotUsd * g.count : undefined)),
  );
  const spot = plan.scheduling.spot;
  const provider = plan.provider as { name: string; region?: string; zone?: string };
  const location = provider.zone ?? provider.region;
  const hourlyUsd = spot ? spotUsd : onDemandUsd;
  return {
    provider: plan.provider.name,
    ...(location ? { location } : {}),
    spot,
    groups: list,
    unknown,
    ...(onDemandUsd !== undefined ? { onDemandUsd } : {}),
    ...(spotUsd !== undefined ? { spotUsd } : {}),
    ...(hourlyUsd !== undefined ? { hourlyUsd } : {}),
    ...(plan.scheduling.maxCostUsd !== undefined ? { maxCostUsd: plan.scheduling.maxCostUsd } : {}),
  };
}

/** `$12.04`; below a dollar, two significant digits (`$0.00011`), so a small amount is not shown as $0.00. */
export function formatUsd(usd: number): string {
  if (usd === 0) return '$0';
  if (Math.abs(usd) >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${Number(usd.toPrecision(2))}`;
}

/**
 * The variable that points each cloud provider at another endpoint (the
 * fakes of `strato fake-cloud` print them). Named here, not imported, so a
 * local job never loads a cloud provider; a provider not listed is billable.
 */
const ENDPOINT_VARIABLES: Readonly<Record<string, readonly string[]>> = {
  vertex: ['STRATO_VERTEX_ENDPOINT'],
  'tpu-vm': ['STRATO_TPU_ENDPOINT'],
  gce: ['STRATO_COMPUTE_ENDPOINT'],
  ec2: ['AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL'],
};

/** A loopback host, or plaintext `http://`: no Google or AWS service is reached that way. */
function isFakeEndpoint(value: string): boolean {
  const text = value.trim();
  if (text.startsWith('http://')) return true;
  try {
    const host = new URL(/^[a-z]+:\/\//i.test(text) ? text : `https://${text}`).hostname;
    return host === 'localhost' || host === '[::1]' || /^127\./.test(host);
  } catch {
    return false;
  }
}

/**
 * Whether launching on this provider starts machines someone pays for: not
 * on `local`, nor when the provider's endpoint variable points at a fake (a
 * loopback or plaintext endpoint, as `strato fake-cloud` prints).
 */
export function isBillableLaunch(provider: string, env: NodeJS.ProcessEnv): boolean {
  if (provider === 'local') return false;
  const names = ENDPOINT_VARIABLES[provider] ?? [];
  return !names.some((name) => {
    const value = env[name];
    return value !== undefined && value !== '' && isFakeEndpoint(value);
  });
}
