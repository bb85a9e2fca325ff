/**
 * MD5 of resumable uploads off the main thread. MD5 runs at ~550 MB/s in
 * Node and was more than half of the fake's CPU time on large uploads
 * (profiled), so the server was the benchmark's bottleneck; in a worker it
 * runs beside the socket and disk work. Small uploads hash inline: a
 * message round trip costs more than hashing 64 KiB.
 */

import { createHash, type Hash } from 'node:crypto';
import { Worker } from 'node:worker_threads';

/** An MD5 fed in order; `digest` once, after the last `update`. */
export interface Md5Accumulator {
  update(data: Buffer): void;
  /** Resolves once every update so far is hashed (bounds what waits in memory). */
  flush(): Promise<void>;
  digest(): Promise<string>;
  /** Forgets the hash (an abandoned upload). */
  drop(): void;
}

export function inlineMd5(): Md5Accumulator {
  const hash: Hash = createHash('md5');
  return {
    update: (data) => hash.update(data),
    flush: async () => {},
    digest: async () => hash.digest('base64'),
    drop: () => {},
  };
}

const MESSAGE_BYTES = 1024 * 1024;

// Plain JavaScript, evaluated in the worker: no TypeScript loader there.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
parentPort.on('message', (m) => {
  if (m.op === 'update') {
    let hash = hashes.get(m.id);
    if (!hash) hashes.set(m.id, (hash = createHash('md5')));
    hash.update(m.data);
  } else if (m.op === 'flush') {
    parentPort.postMessage({ call: m.call });
  } else if (m.op === 'digest') {
    const hash = hashes.get(m.id) || createHash('md5');
    hashes.delete(m.id);
    parentPort.postMessage({ call: m.call, digest: hash.digest('base64') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  }
});
`;

export class Md5Worker {
  private worker: Worker | undefined;
  private nextId = 0;
  private nextCall = 0;
  private readonly calls = new Map<number, (reply: { digest?: string }) => void>();

  private get thread(): Worker {
    if (!this.worker) {
      this.worker = new Worker(WORKER_SOURCE, { eval: true });
      this.worker.on('message', (reply: { call: number; digest?: string }) => {
        this.calls.get(reply.call)?.(reply);
        this.calls.delete(reply.call);
      });
      this.worker.unref();
    }
    return this.worker;
  }

  private call(op: 'flush' | 'digest', id: number): Promise<{ digest?: string }> {
    const call = this.nextCall++;
    return new Promise((resolve) => {
      this.calls.set(call, resolve);
      this.thread.postMessage({ op, id, call });
    });
  }

  accumulator(): Md5Accumulator {
    const id = this.nextId++;
    // Socket reads come 64 KiB at a time; they go to the worker joined into
    // 1 MiB messages, each handed over without a second copy.
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const send = () => {
      if (pendingBytes === 0) return;
      const joined = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      const whole = joined.byteOffset === 0 && joined.byteLength === joined.buffer.byteLength;
      this.thread.postMessage(
        { op: 'update', id, data: joined },
        whole ? [joined.buffer as ArrayBuffer] : [],
      );
    };
    return {
      update: (data) => {
        pending.push(data);
        pendingBytes += data.length;
        if (pendingBytes >= MESSAGE_BYTES) send();
      },
      flush: async () => {
        send();
        await this.call('flush', id);
      },
      digest: async () => {
        send();
        return (await this.call('digest', id)).digest!;
      },
      drop: () => {
        pending = [];
        pendingBytes = 0;
        this.worker?.postMessage({ op: 'drop', id });
      },
    };
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    for (const resolve of this.calls.values()) resolve({});
    this.calls.clear();
    await worker?.terminate();
  }
}
