/** What every route of the fake shares. */

import type { UploadSessions } from './sessions.ts';
import type { GcsState, StoredObject } from './state.ts';

export interface FakeGcsCounters {
  /** Media bytes received by uploads (every attempt, retried bytes too). */
  uploadedBytes: number;
  /** Object generations created (uploads, compose, copies). */
  objectsCreated: number;
}

export interface FakeGcsContext {
  state: GcsState;
  sessions: UploadSessions;
  counters: FakeGcsCounters;
  /**
   * Each object's JSON as the last listing asked for it (by base URL and
   * fields). Stored objects never change — a change makes a new record — so
   * the entry is valid as long as the object is.
   */
  listingJson: WeakMap<StoredObject, { key: string; json: string }>;
}
