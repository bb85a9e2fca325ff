/**
 * How every fake's HTTP server starts: it listens on the given host and port
 * (0: any free one), a failure to bind rejects instead of throwing later, and
 * the answer is the base URL clients use, `http://127.0.0.1:PORT` (an IPv6
 * host in brackets).
 */

import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export function listenHttp(server: Server, port: number, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const { address, port: bound } = server.address() as AddressInfo;
      resolve(`http://${address.includes(':') ? `[${address}]` : address}:${bound}`);
    });
  });
}
