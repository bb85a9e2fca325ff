/** Runs `work` over `items` with at most `concurrency` in flight; collects failures instead of stopping. */

export interface PoolFailure<T> {
  item: T;
  error: unknown;
}

export async function runPool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  signal?: AbortSignal,
): Promise<PoolFailure<T>[]> {
  const failures: PoolFailure<T>[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length && !signal?.aborted) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failures.push({ item, error });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, worker));
  return failures;
}
