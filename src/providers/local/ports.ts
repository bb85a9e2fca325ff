/**
 * Free loopback ports for the cluster addresses in TF_CONFIG. Each candidate
 * is checked by binding it; a port another program holds is skipped and
 * another tried. All probes stay bound until every port is chosen, so one
 * job never gets the same port twice; they are released just before the
 * replicas start (the short window left is the same any launcher has).
 */

import { createServer, type Server } from 'node:net';
import { StratoError } from '../../errors.ts';

export const LOOPBACK_HOST = '127.0.0.1';

export interface AllocatePortsOptions {
  host?: string;
  /**
   * Ports to try first, in order (tests use it to offer a taken port). When
   * they run out, the OS picks (port 0).
   */
  candidates?: readonly number[];
  /** Give up after this many refused candidates. */
  maxAttempts?: number;
}

function listen(host: string, port: number): Promise<Server | undefined> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES') resolve(undefined);
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => resolve(server));
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `count` distinct ports that were free on `host` a moment ago. */
export async function allocatePorts(count: number, options: AllocatePortsOptions = {}): Promise<number[]> {
  const host = options.host ?? LOOPBACK_HOST;
  const candidates = [...(options.candidates ?? [])];
  const maxAttempts = options.maxAttempts ?? count * 4 + 16;
  const held: Server[] = [];
  const ports: number[] = [];
  try {
    for (let attempt = 0; ports.length < count; attempt++) {
      if (attempt >= maxAttempts) {
        throw new StratoError('E_IO', `could not find ${count} free ports on ${host}`, {
          hint: 'free some ports or lower the replica count',
          retryable: true,
        });
      }
      const server = await listen(host, candidates.shift() ?? 0);
      if (!server) continue;
      const address = server.address();
      if (address && typeof address === 'object') {
        held.push(server);
        ports.push(address.port);
      }
    }
    return ports;
  } finally {
    await Promise.all(held.map(close));
  }
}
