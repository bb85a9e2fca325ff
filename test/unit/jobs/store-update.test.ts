/**
 * `store.update` from several processes at once: each change is made on
 * the record as the previous one left it (the record lock), so none is
 * lost — as when a watcher stores a status while the job's controller
 * stores its next attempt's handle.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobStore, type JobRecord, type JobStore } from '../../../src/jobs/store.ts';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'strato-store-update-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const STORE = pathToFileURL(join(import.meta.dirname, '../../../src/jobs/store.ts')).href;

/** A process that counts `times` up in the record's cost field, one update each. */
function counter(id: string, times: number): Promise<number | null> {
  const script = [
    `import { createJobStore } from ${JSON.stringify(STORE)};`,
    `const store = createJobStore(${JSON.stringify(home)});`,
    `for (let i = 0; i < ${times}; i++)`,
    `  store.update(${JSON.stringify(id)}, (r) => ({ ...r, cost: { hourlyUsd: (r.cost?.hourlyUsd ?? 0) + 1 } }));`,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' });
  return new Promise((resolve) => child.on('exit', resolve));
}

function running(store: JobStore, id: string): JobRecord {
  const now = '2025-01-01T00:00:00.000Z';
  return {
    version: 1,
    id,
    name: 'demo',
    provider: 'local',
    strategy: 'one-device',
    state: 'RUNNING',
    runDir: `file://${home}/runs/${id}`,
    jobDir: store.createJobDir(id),
    replicaCount: 1,
    createdAt: now,
    updatedAt: now,
    handle: { provider: 'local', id, data: {} },
  };
}

describe('store.update', () => {
  it('loses no change when three processes update one record at once', async () => {
    const store = createJobStore(home);
    const id = 'demo-upd000';
    const record = running(store, id);
    store.save(record);
    const codes = await Promise.all([counter(id, 200), counter(id, 200), counter(id, 200)]);
    expect(codes).toEqual([0, 0, 0]);
    expect(store.getJob(id).cost?.hourlyUsd).toBe(600);
    expect(existsSync(join(record.jobDir, 'job.json.lock'))).toBe(false);
  }, 60_000);

  it('writes nothing when the change returns the record as it was', () => {
    const store = createJobStore(home);
    const id = 'demo-upd001';
    store.save(running(store, id));
    const before = store.getJob(id);
    expect(store.update(id, (r) => r)).toEqual(before);
  });
});
