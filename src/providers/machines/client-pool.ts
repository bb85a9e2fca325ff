/**
 * One cloud client per endpoint for a machine provider, shared by its calls
 * and kept for a short idle time after the last one. A status read every
 * tick used to make and close its own Compute client: six REST clients to
 * initialize (about 0.4 s of CPU against the fake; on Google Cloud, each
 * with its own credential lookup and token) for a list that takes 4 ms.
 *
 * An idle client is closed by an unref'd timer, so a cached client never
 * keeps a CLI process alive, and a long-lived controller does not hold
 * connections between jobs. A client that failed to open is not kept: the
 * next call tries again (and reports the error again).
 */

/** Long enough to span a watch's ticks (a few seconds apart), short enough to let go soon after. */
export const CLIENT_IDLE_MS = 30_000;

interface Entry<C> {
  client: Promise<C>;
  users: number;
  idle?: NodeJS.Timeout;
}

export class ClientPool<C> {
  readonly #entries = new Map<string, Entry<C>>();
  readonly #open: (key: string) => Promise<C>;
  readonly #close: (client: C) => unknown;
  readonly #idleMs: number;

  constructor(open: (key: string) => Promise<C>, close: (client: C) => unknown, idleMs = CLIENT_IDLE_MS) {
    this.#open = open;
    this.#close = close;
    this.#idleMs = idleMs;
  }

  /** Runs `use` with the client for `key`, opened on first use and shared by calls running at once. */
  async use<T>(key: string, use: (client: C) => Promise<T>): Promise<T> {
    let entry = this.#entries.get(key);
    if (!entry) {
      entry = { client: this.#open(key), users: 0 };
      this.#entries.set(key, entry);
    }
    const held = entry;
    clearTimeout(held.idle);
    held.idle = undefined;
    held.users++;
    try {
      let client: C;
      try {
        client = await held.client;
      } catch (error) {
        if (this.#entries.get(key) === held) this.#entries.delete(key);
        throw error;
      }
      return await use(client);
    } finally {
      held.users--;
      if (held.users === 0 && this.#entries.get(key) === held) {
        held.idle = setTimeout(() => this.#closeIdle(key, held), this.#idleMs);
        held.idle.unref();
      }
    }
  }

  /** Closes every idle client now (tests; a process about to end need not call it). */
  async closeAll(): Promise<void> {
    const idle = [...this.#entries.entries()].filter(([, entry]) => entry.users === 0);
    await Promise.all(idle.map(([key, entry]) => this.#closeIdle(key, entry)));
  }

  async #closeIdle(key: string, entry: Entry<C>): Promise<void> {
    if (entry.users > 0 || this.#entries.get(key) !== entry) return;
    clearTimeout(entry.idle);
    this.#entries.delete(key);
    try {
      await this.#close(await entry.client);
    } catch {
      // Closing is tidying up: a client that cannot close cleanly has nothing left to lose.
    }
  }
}
