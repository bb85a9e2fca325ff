/**
 * Faults of the fake Compute Engine, as data:
 * - HTTP faults (503 on the Nth request, a reset, a delay): the fake Cloud
 *   Storage's `FaultInjector` rules, by method and path.
 * - stockouts: an instance insert whose operation ends in
 *   `ZONE_RESOURCE_POOL_EXHAUSTED`, as when a zone has no capacity for the shape;
 * - quota: an insert whose operation ends in `QUOTA_EXCEEDED` for a GPU metric;
 * - slow operations: every operation takes `operationMs`.
 * Preempting a spot VM is an action on the fake (`FakeCompute.preempt`), not a rule.
 */

import type { FaultOptions } from '../fake-gcs/faults.ts';

export interface StockoutRule {
  /** Zone out of capacity; any when absent. */
  zone?: string;
  /** Machine types out of stock; any when absent. */
  machineTypes?: RegExp;
  /** Only this provisioning model runs out (`SPOT` or `STANDARD`); both when absent. */
  provisioningModel?: 'SPOT' | 'STANDARD';
  /** How many inserts fail before capacity comes back; unlimited when absent. */
  times?: number;
}

export interface QuotaRule {
  /** The quota metric named in the error, e.g. `NVIDIA_A100_GPUS` or `CPUS`. */
  metric: string;
  /** Region of the quota; any when absent. */
  region?: string;
  /** Machine types the quota applies to; any when absent. */
  machineTypes?: RegExp;
  /** The limit reported in the message; default 0. */
  limit?: number;
  times?: number;
}

export interface FakeComputeFaults {
  /** HTTP faults by method and path (see fake-gcs `FaultRule`). */
  http?: FaultOptions;
  stockouts?: StockoutRule[];
  quotas?: QuotaRule[];
  /** How long every operation takes before it is DONE; default 20 ms. */
  operationMs?: number;
}

interface Counted<T> {
  rule: T;
  fired: number;
}

export interface InsertFacts {
  zone: string;
  region: string;
  machineType: string;
  provisioningModel: 'SPOT' | 'STANDARD';
}

export interface CapacityFailure {
  code: 'ZONE_RESOURCE_POOL_EXHAUSTED' | 'QUOTA_EXCEEDED';
  message: string;
  httpStatus: number;
}

export class CapacityFaults {
  private stockouts: Counted<StockoutRule>[] = [];
  private quotas: Counted<QuotaRule>[] = [];
  operationMs: number;

  constructor(options: FakeComputeFaults = {}) {
    for (const rule of options.stockouts ?? []) this.stockout(rule);
    for (const rule of options.quotas ?? []) this.quota(rule);
    this.operationMs = options.operationMs ?? 20;
  }

  /** Adds a stockout; returns a function that removes it. */
  stockout(rule: StockoutRule = {}): () => void {
    const entry = { rule, fired: 0 };
    this.stockouts.push(entry);
    return () => {
      this.stockouts = this.stockouts.filter((s) => s !== entry);
    };
  }

  /** Adds an exhausted quota; returns a function that removes it. */
  quota(rule: QuotaRule): () => void {
    const entry = { rule, fired: 0 };
    this.quotas.push(entry);
    return () => {
      this.quotas = this.quotas.filter((q) => q !== entry);
    };
  }

  clear(): void {
    this.stockouts = [];
    this.quotas = [];
  }

  /** The failure an instance insert with these facts ends in, if any (counted as fired). */
  onInsert(facts: InsertFacts): CapacityFailure | undefined {
    for (const entry of this.quotas) {
      const { rule } = entry;
      if (rule.region && rule.region !== facts.region) continue;
      if (rule.machineTypes && !rule.machineTypes.test(facts.machineType)) continue;
      if (rule.times !== undefined && entry.fired >= rule.times) continue;
      entry.fired++;
      return {
        code: 'QUOTA_EXCEEDED',
        httpStatus: 403,
        message: `Quota '${rule.metric}' exceeded.  Limit: ${rule.limit ?? 0}.0 in region ${facts.region}.`,
      };
    }
    for (const entry of this.stockouts) {
      const { rule } = entry;
      if (rule.zone && rule.zone !== facts.zone) continue;
      if (rule.machineTypes && !rule.machineTypes.test(facts.machineType)) continue;
      if (rule.provisioningModel && rule.provisioningModel !== facts.provisioningModel) continue;
      if (rule.times !== undefined && entry.fired >= rule.times) continue;
      entry.fired++;
      // The service's wording for a stockout (https://cloud.google.com/compute/docs/troubleshooting/troubleshooting-resource-availability).
      return {
        code: 'ZONE_RESOURCE_POOL_EXHAUSTED',
        httpStatus: 503,
        message:
          `The zone 'projects/-/zones/${facts.zone}' does not have enough resources available to fulfill ` +
          'the request.  Try a different zone, or try again later.',
      };
    }
    return undefined;
  }
}
