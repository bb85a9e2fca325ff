/**
 * Resumable upload sessions. Bytes go to a blob writer as they arrive;
 * the object appears only when the last byte is in and the hashes match,
 * so a partial upload is never visible under its name.
 */

import { randomBytes } from 'node:crypto';
import type { BlobWriter } from './blobs.ts';
import type { GcsHttpError } from './errors.ts';
import { type Md5Accumulator, Md5Worker } from './md5-worker.ts';
import type { WritableObjectFields } from './resources.ts';
import type { Preconditions, StoredObject } from './state.ts';

export interface UploadSession {
  id: string;
  bucket: string;
  name: string;
  fields: WritableObjectFields;
  conditions: Preconditions;
  /** `X-Upload-Content-Length` from the session's start, when the client knew it. */
  declaredSize: number | undefined;
  writer: BlobWriter | undefined;
  /** Bytes persisted so far. */
  committed: number;
  crc: number;
  md5: Md5Accumulator;
  /** The object once finalised: later status queries and retries of the last chunk get it again. */
  result?: StoredObject;
  /** Why the session ended without an object (hash mismatch, failed precondition). */
  failure?: GcsHttpError;
  cancelled?: boolean;
  /** Serialises requests on one session: a retry waits for the request it replaces. */
  lock: Promise<void>;
}

export class UploadSessions {
  private readonly sessions = new Map<string, UploadSession>();
  private readonly md5 = new Md5Worker();

  create(
    input: Pick<UploadSession, 'bucket' | 'name' | 'fields' | 'conditions' | 'declaredSize'>,
  ): UploadSession {
    const session: UploadSession = {
      ...input,
      id: randomBytes(16).toString('base64url'),
      writer: undefined,
      committed: 0,
      crc: 0,
      md5: this.md5.accumulator(),
      lock: Promise.resolve(),
    };
    this.sessions.set(session.id, session);
    return session;
  }

  find(id: string): UploadSession | undefined {
    return this.sessions.get(id);
  }

  /** Runs `work` after every earlier request on the session has finished. */
  async exclusive<T>(session: UploadSession, work: () => Promise<T>): Promise<T> {
    const previous = session.lock;
    let release!: () => void;
    session.lock = new Promise<void>((resolve) => {
      release = resolve;
    });
    await previous;
    try {
      return await work();
    } finally {
      release();
    }
  }

  /** Drops unfinished sessions' bytes and stops the hashing worker (server shutdown). */
  async close(): Promise<void> {
    for (const session of this.sessions.values()) await session.writer?.abort();
    this.sessions.clear();
    await this.md5.close();
  }
}
