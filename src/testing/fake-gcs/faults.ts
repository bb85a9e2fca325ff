/**
 * Fault injection: answer chosen requests (by method, path, Nth call) or a
 * seeded random fraction of them with an error status, a connection reset
 * before the request is handled, a reset after it was handled (the client
 * never learns that it succeeded), or a delay.
 */

/**
 * - `{ status }`: answer with this HTTP status (e.g. 503) without handling the request.
 * - `'reset'`: destroy the connection before handling the request.
 * - `'reset-after'`: handle the request, then destroy the connection instead of answering.
 * - `{ delayMs }`: wait, then handle the request normally.
 */
export type Fault = { status: number } | 'reset' | 'reset-after' | { delayMs: number };

export interface FaultRule {
  /** HTTP method to match, e.g. `POST`; any when absent. */
  method?: string;
  /** Substring of, or pattern over, the request path with its query; any when absent. */
  path?: string | RegExp;
  /** Fire on the Nth matching request (1-based) and, with `times`, the ones after it. */
  nth?: number;
  /** How many times the rule fires; default 1 with `nth`, else unlimited. */
  times?: number;
  fault: Fault;
}

export interface RandomFaults {
  /** Share of requests that get a fault, 0 to 1. */
  fraction: number;
  /** Seed of the pseudo-random sequence, so a run can be repeated. Default 1. */
  seed?: number;
  /** Faults to choose from, evenly. Default: 503, reset, reset-after. */
  faults?: Fault[];
}

export interface FaultOptions {
  rules?: FaultRule[];
  random?: RandomFaults;
  /** Delay before every response, to simulate a slow service. */
  latencyMs?: number;
}

export interface FaultDecision {
  delayMs: number;
  terminal?: Exclude<Fault, { delayMs: number }>;
}

export interface FaultStats {
  requests: number;
  injected: number;
  byKind: Record<string, number>;
}

const DEFAULT_RANDOM_FAULTS: Fault[] = [{ status: 503 }, 'reset', 'reset-after'];

interface RuleState {
  rule: FaultRule;
  seen: number;
  fired: number;
}

export class FaultInjector {
  private rules: RuleState[] = [];
  private random: RandomFaults | undefined;
  private nextRandom: () => number = mulberry32(1);
  latencyMs = 0;
  readonly stats: FaultStats = { requests: 0, injected: 0, byKind: {} };

  constructor(options: FaultOptions = {}) {
    for (const rule of options.rules ?? []) this.add(rule);
    this.setRandom(options.random);
    this.latencyMs = options.latencyMs ?? 0;
  }

  add(rule: FaultRule): void {
    this.rules.push({ rule, seen: 0, fired: 0 });
  }

  setRandom(random: RandomFaults | undefined): void {
    this.random = random;
    this.nextRandom = mulberry32(random?.seed ?? 1);
  }

  clear(): void {
    this.rules = [];
    this.random = undefined;
    this.latencyMs = 0;
  }

  decide(method: string, pathAndQuery: string): FaultDecision {
    this.stats.requests++;
    const decision: FaultDecision = { delayMs: this.latencyMs };
    for (const state of this.rules) {
      if (!matches(state.rule, method, pathAndQuery)) continue;
      state.seen++;
      if (!shouldFire(state)) continue;
      state.fired++;
      this.apply(decision, state.rule.fault);
    }
    if (!decision.terminal && this.random && this.random.fraction > 0) {
      if (this.nextRandom() < this.random.fraction) {
        const choices = this.random.faults ?? DEFAULT_RANDOM_FAULTS;
        const fault = choices[Math.floor(this.nextRandom() * choices.length)]!;
        this.apply(decision, fault);
      }
    }
    return decision;
  }

  private apply(decision: FaultDecision, fault: Fault): void {
    const kind = typeof fault === 'string' ? fault : 'status' in fault ? String(fault.status) : 'delay';
    this.stats.injected++;
    this.stats.byKind[kind] = (this.stats.byKind[kind] ?? 0) + 1;
    if (typeof fault === 'object' && 'delayMs' in fault) decision.delayMs += fault.delayMs;
    else decision.terminal ??= fault;
  }
}

function matches(rule: FaultRule, method: string, pathAndQuery: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method) return false;
  if (rule.path === undefined) return true;
  return typeof rule.path === 'string' ? pathAndQuery.includes(rule.path) : rule.path.test(pathAndQuery);
}

function shouldFire(state: RuleState): boolean {
  const { nth, times } = state.rule;
  if (nth !== undefined) return state.seen >= nth && state.seen < nth + (times ?? 1);
  return times === undefined || state.fired < times;
}

/** Small seeded PRNG (mulberry32): uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * What a fake's request handler does with a fault decision before it does
 * anything else: waits the delay, then drops the connection (a reset: answers
 * false, the handler stops) or throws the injected HTTP status as the
 * service's own error (`injected`), or goes on (true). A `reset-after` is the
 * handler's to apply once it has acted.
 */
export async function beforeHandling(
  decision: FaultDecision,
  req: { socket: { destroy(): void } },
  injected: (status: number, message: string) => Error,
): Promise<boolean> {
  if (decision.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, decision.delayMs));
  if (decision.terminal === 'reset') {
    req.socket.destroy();
    return false;
  }
  if (typeof decision.terminal === 'object') {
    throw injected(decision.terminal.status, `injected fault: HTTP ${decision.terminal.status}`);
  }
  return true;
}
