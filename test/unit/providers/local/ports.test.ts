import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { allocatePorts } from '../../../../src/providers/local/ports.ts';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function occupy(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    servers.push(server);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

describe('allocatePorts', () => {
  it('hands out distinct loopback ports that can be bound', async () => {
    const ports = await allocatePorts(16);
    expect(new Set(ports).size).toBe(16);
    for (const port of ports) expect(port).toBeGreaterThan(0);
    // Released again: each can be bound now.
    for (const port of ports.slice(0, 3)) {
      await new Promise<void>((resolve, reject) => {
        const s = createServer();
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
      });
    }
  });

  it('skips a port another program holds and takes another', async () => {
    const taken = await occupy();
    const ports = await allocatePorts(2, { candidates: [taken, taken] });
    expect(ports).toHaveLength(2);
    expect(ports).not.toContain(taken);
  });

  it('gives up with E_IO when it cannot find enough', async () => {
    const taken = await occupy();
    await expect(
      allocatePorts(1, { candidates: [taken, taken, taken], maxAttempts: 3 }),
    ).rejects.toMatchObject({
      code: 'E_IO',
    });
  });
});
