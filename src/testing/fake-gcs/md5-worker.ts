/**
 * MD5 of resumable uploads off the main thread. MD5 runs at ~650 MB/s in
 * Node (OpenSSL's assembly) and is the largest part of the fake's CPU on
 * large uploads, so it runs in a worker, beside the socket and disk work.
 *
 * Bytes reach the worker without fresh allocations. Socket reads the caller
 * is done with (the disk writer has copied them) are handed over whole: their
 * memory moves to the worker, nothing is copied. Reads the caller keeps (the
 * in-memory store holds them as the object) are copied into shared slots
 * that go back and forth. Joining reads into a new 1 MiB buffer per message
 * instead cost the main thread ~1 s per GB (profiled; most of it first
 * touching each new buffer's pages, which on a VM is the slow part).
 */

import { Worker } from 'node:worker_threads';

/** Takes an upload's bytes in order; `digest` once, after the last `update`. */
export interface Md5Accumulator {
  /**
   * Takes the bytes. With `handOver`, the caller is done with `data` and
   * its memory may move to the hashing thread (it reads as empty after);
   * otherwise they are copied. A promise when the hashing has fallen
   * behind: wait for it before taking more off the socket.
   */
  update(data: Buffer, handOver?: boolean): Promise<void> | undefined;
  /** Sends what is held back (at the end of a request, so nothing waits on the next one). */
  flush(): void;
  digest(): Promise<string>;
  /** Forgets the hash (an abandoned upload). */
  drop(): void;
}

/** 1 MiB per message: ~1,000 messages per GB, each a few microseconds. */
const MESSAGE_BYTES = 1024 * 1024;
/** Bytes sent and not yet hashed before uploads are held back (how far the hashing may lag). */
const BACKLOG_BYTES = 16 * MESSAGE_BYTES;
/** Free slots kept for reuse. */
const MAX_IDLE_SLOTS = 16;

// Plain JavaScript, evaluated in the worker: no TypeScript loader there.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hashes = new Map();
const slots = [];
const hashOf = (id) => {
  let hash = hashes.get(id);
  if (!hash) hashes.set(id, (hash = createHash('md5')));
  return hash;
};
parentPort.on('message', (m) => {
  if (m.op === 'slot') {
    if (m.memory) slots[m.slot] = new Uint8Array(m.memory);
    hashOf(m.id).update(slots[m.slot].subarray(0, m.length));
    parentPort.postMessage({ slot: m.slot, bytes: m.length });
  } else if (m.op === 'parts') {
    const hash = hashOf(m.id);
    let bytes = 0;
    for (const part of m.parts) {
      hash.update(part);
      bytes += part.length;
    }
    parentPort.postMessage({ bytes });
  } else if (m.op === 'digest') {
    const hash = hashOf(m.id);
    hashes.delete(m.id);
    parentPort.postMessage({ call: m.call, digest: hash.digest('base64') });
  } else if (m.op === 'drop') {
    hashes.delete(m.id);
  } else if (m.op === 'forget') {
    slots[m.slot] = undefined;
  }
});
`;

interface Reply {
  /** Bytes hashed; with `slot` when they came in that slot (free again). */
  bytes?: number;
  slot?: number;
  call?: number;
  digest?: string;
}

export class Md5Worker {
  private worker: Worker | undefined;
  private nextId = 0;
  private nextCall = 0;
  private readonly calls = new Map<number, (digest: string | undefined) => void>();
  /** Slots by number (undefined once let go); the worker keeps its own view of each. */
  private readonly slots: (Buffer | undefined)[] = [];
  private readonly freeSlots: number[] = [];
  /** Slots whose memory the worker already holds. */
  private readonly known = new Set<number>();
  private backlog = 0;
  private waiters: (() => void)[] = [];
  private closed = false;

  private get thread(): Worker {
    if (!this.worker) {
      this.worker = new Worker(WORKER_SOURCE, { eval: true });
      this.worker.on('message', (reply: Reply) => this.onReply(reply));
      this.worker.unref();
    }
    return this.worker;
  }

  private onReply(reply: Reply): void {
    if (reply.slot !== undefined) this.giveSlot(reply.slot);
    if (reply.bytes !== undefined) {
      this.backlog -= reply.bytes;
      if (this.backlog < BACKLOG_BYTES && this.waiters.length > 0) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const wake of waiters) wake();
      }
    }
    if (reply.call !== undefined) {
      this.calls.get(reply.call)?.(reply.digest);
      this.calls.delete(reply.call);
    }
  }

  /** A free slot; new ones are made as needed (so a stalled upload holding one never blocks another). */
  private takeSlot(): number {
    const free = this.freeSlots.pop();
    if (free !== undefined) return free;
    const memory = Buffer.from(new SharedArrayBuffer(MESSAGE_BYTES));
    const unused = this.slots.indexOf(undefined);
    if (unused !== -1) {
      this.slots[unused] = memory;
      return unused;
    }
    this.slots.push(memory);
    return this.slots.length - 1;
  }

  /** Keeps a few free slots for reuse; a burst of concurrent uploads does not pin its slots for good. */
  private giveSlot(slot: number): void {
    if (this.freeSlots.length < MAX_IDLE_SLOTS) {
      this.freeSlots.push(slot);
      return;
    }
    this.slots[slot] = undefined;
    this.known.delete(slot);
    this.worker?.postMessage({ op: 'forget', slot });
  }

  private postSlot(id: number, slot: number, length: number): void {
    if (this.closed) return;
    this.backlog += length;
    // A slot is shared memory: the worker is given it once, then only its number.
    const memory = this.known.has(slot) ? {} : { memory: this.slots[slot]!.buffer };
    this.known.add(slot);
    this.thread.postMessage({ op: 'slot', id, slot, length, ...memory });
  }

  /** False when the memory could not be moved (Node refuses buffers marked untransferable); nothing was sent. */
  private postParts(id: number, parts: Buffer[], length: number): boolean {
    if (this.closed) return true;
    try {
      this.thread.postMessage(
        { op: 'parts', id, parts },
        parts.map((part) => part.buffer as ArrayBuffer),
      );
    } catch {
      return false;
    }
    this.backlog += length;
    return true;
  }

  private behind(): Promise<void> | undefined {
    if (this.backlog < BACKLOG_BYTES) return undefined;
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  accumulator(): Md5Accumulator {
    const id = this.nextId++;
    // Bytes are sent in the order they came, whichever way each one goes.
    let slot: number | undefined;
    let filled = 0;
    let parts: Buffer[] = [];
    let partBytes = 0;
    const sendSlot = () => {
      if (slot === undefined || filled === 0) return;
      this.postSlot(id, slot, filled);
      slot = undefined;
      filled = 0;
    };
    const sendParts = () => {
      if (parts.length === 0) return;
      const sending = parts;
      const bytes = partBytes;
      parts = [];
      partBytes = 0;
      if (!this.postParts(id, sending, bytes)) for (const part of sending) copy(part);
    };
    const copy = (data: Buffer): void => {
      sendParts();
      for (let from = 0; from < data.length; ) {
        slot ??= this.takeSlot();
        const copied = data.copy(this.slots[slot]!, filled, from);
        filled += copied;
        from += copied;
        if (filled === MESSAGE_BYTES) sendSlot();
      }
    };
    return {
      update: (data, handOver = false) => {
        if (handOver && ownsItsMemory(data)) {
          sendSlot();
          parts.push(data);
          partBytes += data.length;
          if (partBytes >= MESSAGE_BYTES) sendParts();
        } else {
          copy(data);
        }
        return this.behind();
      },
      flush: () => {
        sendSlot();
        sendParts();
      },
      digest: () => {
        sendSlot();
        sendParts();
        const call = this.nextCall++;
        if (this.closed) return Promise.reject(new Error('the MD5 worker stopped'));
        return new Promise<string>((resolve, reject) => {
          this.calls.set(call, (digest) =>
            digest === undefined ? reject(new Error('the MD5 worker stopped')) : resolve(digest),
          );
          this.thread.postMessage({ op: 'digest', id, call });
        });
      },
      drop: () => {
        if (slot !== undefined) this.giveSlot(slot);
        slot = undefined;
        filled = 0;
        parts = [];
        partBytes = 0;
        this.worker?.postMessage({ op: 'drop', id });
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    for (const settle of this.calls.values()) settle(undefined);
    this.calls.clear();
    for (const wake of this.waiters.splice(0)) wake();
    await worker?.terminate();
  }
}

/**
 * Whether `data` is the whole of its own ArrayBuffer, so moving that memory
 * to the worker takes nothing from anyone else. Socket reads are (Node's HTTP
 * parser gives each body piece its own); slices of a pool never are.
 */
function ownsItsMemory(data: Buffer): boolean {
  return (
    data.byteOffset === 0 && data.byteLength === data.buffer.byteLength && data.buffer instanceof ArrayBuffer
  );
}
