/**
 * Finding 2 of the hardening issue: a server that drops the connection in the
 * middle of a streamed upload made `strato data push` die with an uncaught
 * `write EPIPE` / `ECONNRESET`. The write in flight failed while the body's
 * next piece was being read, and nobody was awaiting it yet.
 *
 * GIVEN a loopback server that resets every connection after its first bytes
 * WHEN a streamed body is sent whose pieces arrive slowly
 * THEN the request rejects with the connection error (which the retry layer
 * treats as transient) and no rejection is left unhandled.
 */

import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpTransport } from '../../src/storage/http-transport.ts';

let server: Server;
let port: number;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((socket) => {
    sockets.add(socket);
    // Read the head and a little body, then cut the connection hard (RST), as a killed server does.
    socket.once('data', () => setTimeout(() => socket.resetAndDestroy(), 20));
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise((resolve) => server.close(resolve));
});

describe('a streamed upload whose connection is reset', () => {
  it('rejects the request and leaves no unhandled rejection', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const transport = new HttpTransport();
    try {
      const piece = Buffer.alloc(256 * 1024, 1);
      const pieces = 40;
      const body = {
        length: piece.length * pieces,
        async *pieces() {
          for (let i = 0; i < pieces; i++) {
            yield piece;
            // A slow source: the failed write's callback fires while this piece is being read.
            await new Promise((resolve) => setTimeout(resolve, 30));
          }
        },
      };
      for (let trial = 0; trial < 4; trial++) {
        const error = await transport
          .stream({ method: 'PUT', url: `http://127.0.0.1:${port}/upload`, body })
          .then(
            () => undefined,
            (e: NodeJS.ErrnoException) => e,
          );
        expect(error?.code).toMatch(/^(ECONNRESET|EPIPE)$/);
      }
      // Give a late rejection the turns it needs to surface.
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      transport.close();
    }
  });
});
