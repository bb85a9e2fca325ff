/**
 * The one `sleep`: resolves after `ms`, or rejects with the signal's reason
 * as soon as the signal aborts (so a Ctrl-C never waits out a poll interval).
 * The timer is cleared and the listener removed either way: a loop that
 * sleeps every tick leaks neither.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms));
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
