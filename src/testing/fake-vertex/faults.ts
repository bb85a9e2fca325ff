/**
 * Fault injection for the fake Vertex: RPC faults (an error status on the Nth
 * call of a method, a response lost after the server did the work, a delay)
 * and capacity faults (a stockout: jobs asking for certain machines fail
 * while being provisioned). Preemption of a running job is an action on the
 * fake itself (`FakeVertex.preempt`).
 */

import type { status } from '@grpc/grpc-js';

/**
 * - `{ code, message }`: answer with this gRPC status without doing the work.
 * - `'lose-response'`: do the work (e.g. create the job), then answer
 *   UNAVAILABLE, as when a connection drops after the server committed.
 * - `{ delayMs }`: wait, then answer normally.
 */
export type RpcFault = { code: status; message?: string } | 'lose-response' | { delayMs: number };

export interface RpcFaultRule {
  /** Method name as in the proto, e.g. `CreateCustomJob`, `GetOperation`; any when absent. */
  method?: string;
  /** Fire on the Nth matching call (1-based, counted from when the rule is added); default the next one. */
  nth?: number;
  /** How many calls from the Nth on get the fault; default 1. */
  times?: number;
  fault: RpcFault;
}

export interface StockoutRule {
  /** Machine types that are out of stock; default every TPU machine type. */
  machineTypes?: RegExp;
  /** How many jobs fail before capacity comes back; default unlimited. */
  times?: number;
}

interface RuleState {
  rule: RpcFaultRule;
  seen: number;
  fired: number;
}

export interface FaultCounts {
  calls: Record<string, number>;
  injected: number;
}

const TPU_MACHINE_TYPES = /^(cloud-tpu|ct\d)/;

export class VertexFaults {
  private rules: RuleState[] = [];
  private stockouts: { rule: StockoutRule; fired: number }[] = [];
  readonly counts: FaultCounts = { calls: {}, injected: 0 };

  /** Adds an RPC fault; returns a function that removes it. */
  add(rule: RpcFaultRule): () => void {
    const state = { rule, seen: 0, fired: 0 };
    this.rules.push(state);
    return () => {
      this.rules = this.rules.filter((r) => r !== state);
    };
  }

  /** Makes jobs that ask for these machines fail in PENDING with a stockout; returns a remover. */
  stockout(rule: StockoutRule = {}): () => void {
    const state = { rule, fired: 0 };
    this.stockouts.push(state);
    return () => {
      this.stockouts = this.stockouts.filter((s) => s !== state);
    };
  }

  clear(): void {
    this.rules = [];
    this.stockouts = [];
  }

  /** Counts the call and returns the fault to apply to it, if any. */
  onCall(method: string): RpcFault | undefined {
    this.counts.calls[method] = (this.counts.calls[method] ?? 0) + 1;
    for (const state of this.rules) {
      const { rule } = state;
      if (rule.method && rule.method !== method) continue;
      state.seen++;
      const nth = rule.nth ?? 1;
      if (state.seen < nth || state.fired >= (rule.times ?? 1)) continue;
      state.fired++;
      this.counts.injected++;
      return rule.fault;
    }
    return undefined;
  }

  /** Whether provisioning these machine types runs into a stockout now (consumes one). */
  takeStockout(machineTypes: readonly string[]): boolean {
    for (const state of this.stockouts) {
      const pattern = state.rule.machineTypes ?? TPU_MACHINE_TYPES;
      if (!machineTypes.some((m) => pattern.test(m))) continue;
      if (state.rule.times !== undefined && state.fired >= state.rule.times) continue;
      state.fired++;
      this.counts.injected++;
      return true;
    }
    return false;
  }
}
