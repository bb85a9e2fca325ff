import { describe, expect, it } from 'vitest';
import { ClientPool } from '../../../../src/providers/machines/client-pool.ts';

/** A pool of numbered fake clients that records what was opened and closed. */
function pool(idleMs: number, failFirstOpen = false) {
  const opened: string[] = [];
  const closed: string[] = [];
  let failing = failFirstOpen;
  const clients = new ClientPool<string>(
    async (key) => {
      if (failing) {
        failing = false;
        throw new Error('no credentials');
      }
      const client = `${key}#${opened.length + 1}`;
      opened.push(client);
      return client;
    },
    (client) => {
      closed.push(client);
    },
    idleMs,
  );
  return { clients, opened, closed };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('ClientPool', () => {
  it('opens one client per key for calls in a row and at once', async () => {
    const { clients, opened } = pool(1_000);
    const seen = [
      await clients.use('a', async (c) => c),
      await clients.use('a', async (c) => c),
      ...(await Promise.all([1, 2, 3].map(() => clients.use('a', async (c) => c)))),
      await clients.use('b', async (c) => c),
    ];
    expect(seen).toEqual(['a#1', 'a#1', 'a#1', 'a#1', 'a#1', 'b#2']);
    expect(opened).toEqual(['a#1', 'b#2']);
    await clients.closeAll();
  });

  it('closes a client idle for idleMs, never one in use, and opens a new one after', async () => {
    const { clients, opened, closed } = pool(50);
    await clients.use('a', async () => {
      await pause(120); // longer than idleMs, but in use
    });
    expect(closed).toEqual([]);
    await pause(120);
    expect(closed).toEqual(['a#1']);
    expect(await clients.use('a', async (c) => c)).toBe('a#2');
    expect(opened).toEqual(['a#1', 'a#2']);
    await clients.closeAll();
    expect(closed).toEqual(['a#1', 'a#2']);
  });

  it('keeps no client that failed to open: the next call opens again', async () => {
    const { clients, opened } = pool(1_000, true);
    await expect(clients.use('a', async (c) => c)).rejects.toThrow('no credentials');
    expect(await clients.use('a', async (c) => c)).toBe('a#1');
    expect(opened).toEqual(['a#1']);
    await clients.closeAll();
  });

  it('passes the error of a call through and keeps the client', async () => {
    const { clients, opened } = pool(1_000);
    await expect(
      clients.use('a', async () => {
        throw new Error('NOT_FOUND');
      }),
    ).rejects.toThrow('NOT_FOUND');
    expect(await clients.use('a', async (c) => c)).toBe('a#1');
    expect(opened).toEqual(['a#1']);
    await clients.closeAll();
  });
});
