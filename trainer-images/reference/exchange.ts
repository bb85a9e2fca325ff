/**
 * The gradient exchange: an all-reduce (sum) of one vector per training
 * task per step, over TCP. Rank 0 serves it at its TF_CONFIG address (the
 * chief's, or worker 0's); the others connect. Sums are taken in rank order,
 * so every run with the same inputs gives the same bits.
 *
 * Frames: u32 BE body length, then body = u8 type, u32 BE round, payload
 * (HELLO: u32 rank; CONTRIBUTION / RESULT: float64 LE values).
 */

import { connect, createServer, type Server, type Socket } from 'node:net';

const HELLO = 1;
const CONTRIBUTION = 2;
const RESULT = 3;
const HEADER_BYTES = 4 + 1 + 4;

/** A training task vanished mid-exchange: in practice it was preempted or stopped. */
export class PeerLostError extends Error {
  readonly peer: string;

  constructor(peer: string) {
    super(`lost the connection to ${peer}`);
    this.peer = peer;
    this.name = 'PeerLostError';
  }
}

export interface Exchange {
  readonly rank: number;
  readonly size: number;
  /** Element-wise sum of every task's `vector` for this step (all tasks call it in the same order). */
  allreduce(vector: Float64Array): Promise<Float64Array>;
  close(): void;
}

function frame(type: number, round: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(1 + 4 + payload.length, 0);
  header.writeUInt8(type, 4);
  header.writeUInt32BE(round, 5);
  return Buffer.concat([header, payload]);
}

const vectorBytes = (v: Float64Array) => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

function toVector(payload: Buffer): Float64Array {
  const out = new Float64Array(payload.length / 8);
  Buffer.from(out.buffer).set(payload);
  return out;
}

/** Splits a byte stream into frames. */
function onFrames(socket: Socket, handle: (type: number, round: number, payload: Buffer) => void) {
  let buffered: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    while (buffered.length >= 4) {
      const length = buffered.readUInt32BE(0);
      if (buffered.length < 4 + length) break;
      const body = buffered.subarray(4, 4 + length);
      handle(body.readUInt8(0), body.readUInt32BE(1), Buffer.from(body.subarray(5)));
      buffered = buffered.subarray(4 + length);
    }
  });
}

/** Loopback addresses are bound as they are; a cloud host name means "listen on every interface". */
function bindHost(host: string): string {
  return host === 'localhost' || host.startsWith('127.') ? host : '0.0.0.0';
}

export function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}

interface Round {
  parts: (Float64Array | undefined)[];
  resolve(sum: Float64Array): void;
  reject(error: Error): void;
}

/** Rank 0: serves the exchange and takes part in it. Resolves once every other task has connected. */
export async function serveExchange(address: string, size: number, timeoutMs: number): Promise<Exchange> {
  const { host, port } = splitAddress(address);
  const peers = new Map<number, Socket>();
  const rounds = new Map<number, Round>();
  let failure: Error | undefined;
  let closing = false;
  let nextRound = 0;

  const fail = (error: Error) => {
    if (failure || closing) return;
    failure = error;
    for (const round of rounds.values()) round.reject(error);
    rounds.clear();
  };
  const roundOf = (n: number): Round => {
    let round = rounds.get(n);
    if (!round) {
      round = { parts: new Array(size).fill(undefined), resolve: () => {}, reject: () => {} };
      rounds.set(n, round);
    }
    return round;
  };
  const complete = (n: number) => {
    const round = rounds.get(n);
    if (!round || round.parts.some((p) => p === undefined)) return;
    rounds.delete(n);
    const sum = new Float64Array(round.parts[0]!.length);
    for (const part of round.parts) for (let i = 0; i < sum.length; i++) sum[i] = sum[i]! + part![i]!;
    const message = frame(RESULT, n, vectorBytes(sum));
    for (const socket of peers.values()) socket.write(message);
    round.resolve(sum);
  };

  const server: Server = createServer((socket) => {
    socket.setNoDelay(true);
    let rank = -1;
    onFrames(socket, (type, round, payload) => {
      if (type === HELLO) {
        rank = payload.readUInt32BE(0);
        peers.set(rank, socket);
        if (peers.size === size - 1) allConnected();
      } else if (type === CONTRIBUTION && rank > 0) {
        roundOf(round).parts[rank] = toVector(payload);
        complete(round);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      if (rank > 0) fail(new PeerLostError(`rank ${rank}`));
    });
  });
  let allConnected: () => void = () => {};
  const connected = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${peers.size + 1} of ${size} tasks joined within ${timeoutMs} ms`)),
      timeoutMs,
    );
    allConnected = () => {
      clearTimeout(timer);
      resolve();
    };
    if (size <= 1) allConnected();
  });
  // Awaited below once listening; until then a timeout must not surface as unhandled.
  connected.catch(() => {});
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: bindHost(host), port }, () => resolve());
  });
  await connected;

  return {
    rank: 0,
    size,
    allreduce(vector) {
      if (failure) return Promise.reject(failure);
      const n = nextRound++;
      const round = roundOf(n);
      const result = new Promise<Float64Array>((resolve, reject) => {
        round.resolve = resolve;
        round.reject = reject;
      });
      round.parts[0] = vector;
      complete(n);
      return result;
    },
    close() {
      closing = true;
      // end(), not destroy(): the last results may still be on their way out.
      for (const socket of peers.values()) socket.end();
      server.close();
    },
  };
}

/** Ranks above 0: connect to rank 0 (retrying while it starts) and take part. */
export async function joinExchange(
  address: string,
  rank: number,
  size: number,
  timeoutMs: number,
): Promise<Exchange> {
  const { host, port } = splitAddress(address);
  const deadline = Date.now() + timeoutMs;
  let socket: Socket | undefined;
  while (!socket) {
    try {
      socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host, port }, () => resolve(s));
        s.once('error', reject);
      });
    } catch (error) {
      if (Date.now() > deadline)
        throw new Error(`cannot reach the exchange at ${address}: ${(error as Error).message}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  const s = socket;
  s.setNoDelay(true);
  const waiting = new Map<number, { resolve(v: Float64Array): void; reject(e: Error): void }>();
  let failure: Error | undefined;
  let closing = false;
  let nextRound = 0;
  onFrames(s, (type, round, payload) => {
    if (type !== RESULT) return;
    waiting.get(round)?.resolve(toVector(payload));
    waiting.delete(round);
  });
  s.on('error', () => {});
  s.on('close', () => {
    if (closing) return;
    failure = new PeerLostError('rank 0 (the exchange)');
    for (const w of waiting.values()) w.reject(failure);
    waiting.clear();
  });
  const hello = Buffer.alloc(4);
  hello.writeUInt32BE(rank, 0);
  s.write(frame(HELLO, 0, hello));
  return {
    rank,
    size,
    allreduce(vector) {
      if (failure) return Promise.reject(failure);
      const n = nextRound++;
      const result = new Promise<Float64Array>((resolve, reject) => waiting.set(n, { resolve, reject }));
      s.write(frame(CONTRIBUTION, n, vectorBytes(vector)));
      return result;
    },
    close() {
      closing = true;
      s.end();
    },
  };
}

/** A single task: the sum of one vector is itself. */
export function soloExchange(): Exchange {
  return { rank: 0, size: 1, allreduce: async (vector) => vector, close() {} };
}
