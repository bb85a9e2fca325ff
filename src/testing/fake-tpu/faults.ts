/**
 * Faults of the fake Cloud TPU, as data: HTTP errors and delays on chosen
 * requests (a 503 on the Nth call), capacity (a queued resource that waits
 * N ms for capacity, then is ACTIVE or FAILED as a stockout), quota refusals
 * at create, and slow long-running operations. Preempting a spot slice is a
 * call on the fake (`preempt`), since it happens to a resource at a moment
 * the test chooses, not to a request.
 */

export interface HttpFaultRule {
  /** HTTP method to match, e.g. `POST`; any when absent. */
  method?: string;
  /** Substring of, or pattern over, the request path with its query; any when absent. */
  path?: string | RegExp;
  /** Fire on the Nth matching request (1-based) and, with `times`, the ones after it. */
  nth?: number;
  /** How many times the rule fires; default 1 with `nth`, else unlimited. */
  times?: number;
  /** Answer with this HTTP status (e.g. 503) without handling the request. */
  status?: number;
  /** Wait this long before handling (or failing) the request. */
  delayMs?: number;
  /** Handle the request, then answer `status` anyway: the change is made, the client never learns it (a lost response). */
  afterHandling?: boolean;
}

/** What matches a queued resource to a capacity or quota rule; every field given must match. */
export interface ResourceMatch {
  zone?: string;
  acceleratorType?: string;
  /** The queued resource's tier. */
  tier?: 'spot' | 'guaranteed' | 'on-demand';
  /** Queued resource id. */
  id?: string;
}

export interface CapacityRule {
  match?: ResourceMatch;
  /** How long the queued resource stays WAITING_FOR_RESOURCES. */
  waitMs: number;
  /** `active`: capacity comes; `stockout`: it never does and the queued resource FAILS. Default `active`. */
  outcome?: 'active' | 'stockout';
  /** How many queued resources the rule applies to; unlimited when absent. */
  times?: number;
}

export interface QuotaRule {
  match?: ResourceMatch;
  /** The quota named in the 429, e.g. `TPUV4PodPerProjectPerZoneForTPUAPI`. */
  quota?: string;
  times?: number;
}

export interface FakeTpuFaults {
  http?: HttpFaultRule[];
  capacity?: CapacityRule[];
  quota?: QuotaRule[];
  /** Added to the time every long-running operation takes (slow operations). */
  operationDelayMs?: number;
}

export interface HttpDecision {
  delayMs: number;
  status?: number;
  afterHandling?: boolean;
}

interface Counted<R> {
  rule: R;
  seen: number;
  fired: number;
}

function matchesResource(match: ResourceMatch | undefined, subject: Required<ResourceMatch>): boolean {
  if (!match) return true;
  return (Object.keys(match) as (keyof ResourceMatch)[]).every((key) => match[key] === subject[key]);
}

/** The live fault set of one fake; tests add rules while it runs. */
export class TpuFaultBook {
  private http: Counted<HttpFaultRule>[] = [];
  private capacity: Counted<CapacityRule>[] = [];
  private quota: Counted<QuotaRule>[] = [];
  operationDelayMs = 0;

  constructor(faults: FakeTpuFaults = {}) {
    this.add(faults);
  }

  add(faults: FakeTpuFaults): void {
    for (const rule of faults.http ?? []) this.http.push({ rule, seen: 0, fired: 0 });
    for (const rule of faults.capacity ?? []) this.capacity.push({ rule, seen: 0, fired: 0 });
    for (const rule of faults.quota ?? []) this.quota.push({ rule, seen: 0, fired: 0 });
    if (faults.operationDelayMs !== undefined) this.operationDelayMs = faults.operationDelayMs;
  }

  clear(): void {
    this.http = [];
    this.capacity = [];
    this.quota = [];
    this.operationDelayMs = 0;
  }

  onRequest(method: string, pathAndQuery: string): HttpDecision {
    const decision: HttpDecision = { delayMs: 0 };
    for (const state of this.http) {
      const { rule } = state;
      if (rule.method && rule.method.toUpperCase() !== method) continue;
      if (rule.path !== undefined) {
        const hit =
          typeof rule.path === 'string' ? pathAndQuery.includes(rule.path) : rule.path.test(pathAndQuery);
        if (!hit) continue;
      }
      state.seen++;
      const fires =
        rule.nth !== undefined
          ? state.seen >= rule.nth && state.seen < rule.nth + (rule.times ?? 1)
          : rule.times === undefined || state.fired < rule.times;
      if (!fires) continue;
      state.fired++;
      decision.delayMs += rule.delayMs ?? 0;
      if (rule.status !== undefined && decision.status === undefined) {
        decision.status = rule.status;
        decision.afterHandling = rule.afterHandling;
      }
    }
    return decision;
  }

  /** How many requests the HTTP rules have hit so far: a test checks that its fault happened. */
  httpFired(): number {
    return this.http.reduce((sum, state) => sum + state.fired, 0);
  }

  /** The capacity rule for a new queued resource, consuming one of its `times`. */
  capacityFor(subject: Required<ResourceMatch>): CapacityRule | undefined {
    return this.take(this.capacity, subject);
  }

  quotaFor(subject: Required<ResourceMatch>): QuotaRule | undefined {
    return this.take(this.quota, subject);
  }

  private take<R extends { match?: ResourceMatch; times?: number }>(
    rules: Counted<R>[],
    subject: Required<ResourceMatch>,
  ): R | undefined {
    const state = rules.find(
      (s) => matchesResource(s.rule.match, subject) && (s.rule.times === undefined || s.fired < s.rule.times),
    );
    if (state) state.fired++;
    return state?.rule;
  }
}
