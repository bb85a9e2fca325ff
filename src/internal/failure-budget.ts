/**
 * A failure budget shared by every call to one service in one operation
 * (one store during a push): each call still retries its own transient
 * failures, but when failures come in an unbroken run — many in a row, over
 * a while, with not one success between them — the service is down, not
 * flaky, and every call gives up at once instead of each running all its
 * retries. Without it a push of 2,000 files to an endpoint that died took
 * minutes (every file ran its six attempts) to say what one look says.
 *
 * Both bounds must be passed, so a short blip (a restart, a burst of 503s
 * under load) is ridden out by the retries as before. One success resets
 * the run: the budget holds no lasting state, and a long-lived client
 * (a metrics follower) recovers by itself once the service is back.
 */

import { StratoError } from '../errors.ts';

export interface FailureBudgetOptions {
  /** Failures in a row, across all calls, before giving up; default 24. */
  maxConsecutive?: number;
  /** ...and for at least this long since the first of them; default 10 s. */
  minOutageMs?: number;
  /** Clock, for tests; default Date.now. */
  now?: () => number;
}

/** The error every call throws once the budget is spent: the last failure, and why no retry follows. */
export class FailureBudgetExhausted extends StratoError {
  constructor(last: unknown, failures: number, outageMs: number) {
    const cause = last instanceof StratoError ? last : undefined;
    super(
      'E_TRANSIENT',
      `${(last as Error)?.message ?? String(last)} — giving up: ${failures} requests in a row failed over ${(outageMs / 1000).toFixed(1)} s with none succeeding`,
      {
        cause: last,
        retryable: true,
        hint: cause?.hint ?? 'check that the endpoint is up and reachable, then run the same command again',
      },
    );
    this.name = 'FailureBudgetExhausted';
  }
}

export class FailureBudget {
  readonly #maxConsecutive: number;
  readonly #minOutageMs: number;
  readonly #now: () => number;
  #consecutive = 0;
  #firstFailureAt = 0;
  #last: unknown;

  constructor(options: FailureBudgetOptions = {}) {
    this.#maxConsecutive = options.maxConsecutive ?? 24;
    this.#minOutageMs = options.minOutageMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  succeeded(): void {
    this.#consecutive = 0;
  }

  /** Records a transient failure; throws `FailureBudgetExhausted` when this one spends the budget. */
  failed(error: unknown): void {
    if (this.#consecutive === 0) this.#firstFailureAt = this.#now();
    this.#consecutive++;
    this.#last = error;
    this.throwIfExhausted();
  }

  /** Throws `FailureBudgetExhausted` while the run of failures is past both bounds. */
  throwIfExhausted(): void {
    const outageMs = this.#now() - this.#firstFailureAt;
    if (this.#consecutive >= this.#maxConsecutive && outageMs >= this.#minOutageMs) {
      throw new FailureBudgetExhausted(this.#last, this.#consecutive, outageMs);
    }
  }
}
