/**
 * Ctrl-C and `kill` for long-running commands: SIGINT and SIGTERM are
 * handled alike (a terminal, a service manager and a CI runner each send one
 * of them) and turned into an AbortSignal the command passes down to its
 * loops, sleeps and requests. While a command listens, Node's default (exit
 * at once) is off, so the command ends cleanly; `release()` takes the
 * listeners off again, which puts the default back.
 */

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export interface Interrupts {
  /** Aborts at the first SIGINT or SIGTERM; its reason names the signal. */
  readonly signal: AbortSignal;
  /** Stops listening; call it in a `finally`. Idempotent. */
  release(): void;
}

/**
 * Listens for SIGINT and SIGTERM until released. `onEach`, when given, runs
 * for every interrupt with its count (1 for the first) — for commands whose
 * first Ctrl-C means something else than the second.
 */
export function listenForInterrupts(onEach?: (count: number, signal: NodeJS.Signals) => void): Interrupts {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    count++;
    if (!controller.signal.aborted) controller.abort(new Error(`interrupted by ${signal}`));
    onEach?.(count, signal);
  };
  for (const name of SIGNALS) process.on(name, onSignal);
  return {
    signal: controller.signal,
    release() {
      for (const name of SIGNALS) process.off(name, onSignal);
    },
  };
}

/** Resolves when the signal aborts (at once if it already has). */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
