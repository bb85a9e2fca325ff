import { describe, expect, it } from 'vitest';
import { FailureBudget, FailureBudgetExhausted } from '../../../src/internal/failure-budget.ts';
import { withRetry } from '../../../src/internal/retry.ts';

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

const transient = new Error('503 from the service');

describe('FailureBudget', () => {
  it('is spent only when failures run unbroken past both bounds', () => {
    const time = clock();
    const budget = new FailureBudget({ maxConsecutive: 3, minOutageMs: 1000, now: time.now });
    budget.failed(transient);
    budget.failed(transient);
    budget.failed(transient); // enough failures, not for long enough: a blip
    time.advance(999);
    budget.failed(transient);
    time.advance(1);
    expect(() => budget.failed(transient)).toThrow(FailureBudgetExhausted);
    expect(() => budget.throwIfExhausted()).toThrow(
      /503 from the service — giving up: 5 requests in a row failed over 1\.0 s/,
    );
  });

  it('starts over after one success', () => {
    const time = clock();
    const budget = new FailureBudget({ maxConsecutive: 2, minOutageMs: 0, now: time.now });
    budget.failed(transient);
    budget.succeeded();
    budget.failed(transient);
    expect(() => budget.failed(transient)).toThrow(FailureBudgetExhausted);
    budget.succeeded();
    expect(() => budget.throwIfExhausted()).not.toThrow();
  });
});

describe('withRetry with a shared budget', () => {
  it('stops retrying every call once the budget is spent', async () => {
    const budget = new FailureBudget({ maxConsecutive: 4, minOutageMs: 0 });
    const policy = { maxAttempts: 100, initialDelayMs: 1, maxDelayMs: 1 };
    let calls = 0;
    const failing = () =>
      withRetry(
        policy,
        async () => {
          calls++;
          throw transient;
        },
        { shouldRetry: () => true, budget },
      );
    const results = await Promise.allSettled([failing(), failing(), failing()]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toBeInstanceOf(FailureBudgetExhausted);
    }
    // Far fewer than the 300 calls the three would make with their own attempts alone.
    expect(calls).toBeLessThanOrEqual(6);
  });

  it('does not count errors that are not retried', async () => {
    const budget = new FailureBudget({ maxConsecutive: 1, minOutageMs: 0 });
    const refused = new Error('403 forbidden');
    await expect(
      withRetry({ maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 1 }, async () => Promise.reject(refused), {
        shouldRetry: () => false,
        budget,
      }),
    ).rejects.toBe(refused);
    expect(() => budget.throwIfExhausted()).not.toThrow();
  });
});
