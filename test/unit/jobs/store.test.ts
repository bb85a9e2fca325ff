import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isWellFormedJobId, newJobId } from '../../../src/jobs/ids.ts';
import { createJobStore, type JobRecord } from '../../../src/jobs/store.ts';
import type { JobStatus } from '../../../src/providers/types.ts';

let home: string;
beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'strato-store-'));
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

function record(id: string, createdAt: string): JobRecord {
  return {
    version: 1,
    id,
    name: 'demo',
    provider: 'local',
    strategy: 'one-device',
    state: 'QUEUED',
    runDir: `file://${home}/runs/${id}`,
    jobDir: join(home, 'jobs', id),
    replicaCount: 1,
    createdAt,
    updatedAt: createdAt,
    handle: { provider: 'local', id, data: {} },
  };
}

const finished = (state: JobStatus['state']): JobStatus => ({
  state,
  replicas: [],
  attempt: 1,
  restarts: [],
});

describe('job ids', () => {
  it('are the job name plus a 6-character lower-case suffix', () => {
    const id = newJobId('quickstart', () => new Uint8Array([0, 1, 2, 35, 36, 255]));
    // 35 → z, 36 wraps to 0, 255 % 36 = 3.
    expect(id).toBe('quickstart-012z03');
    expect(id).toMatch(/^quickstart-[0-9a-z]{6}$/);
    expect(isWellFormedJobId(newJobId('a-b'))).toBe(true);
    expect(isWellFormedJobId('../etc')).toBe(false);
  });
});

describe('the job store', () => {
  it('keeps one job.json per job under $STRATO_HOME/jobs/<id>, as JSON with runDir', () => {
    const store = createJobStore(home);
    store.save(record('demo-aaaaaa', '2025-01-01T00:00:00.000Z'));
    const text = readFileSync(join(home, 'jobs', 'demo-aaaaaa', 'job.json'), 'utf8');
    expect(JSON.parse(text)).toMatchObject({ id: 'demo-aaaaaa', runDir: `file://${home}/runs/demo-aaaaaa` });
    // No temp files left beside it.
    expect(readdirSync(join(home, 'jobs', 'demo-aaaaaa'))).toEqual(['job.json']);
  });

  it('lists newest first', () => {
    const store = createJobStore(home);
    store.save(record('demo-old000', '2025-01-01T00:00:00.000Z'));
    store.save(record('demo-new000', '2025-01-02T00:00:00.000Z'));
    expect(store.list().map((r) => r.id)).toEqual(['demo-new000', 'demo-old000']);
  });

  it('an unknown id is E_NOT_FOUND naming the ids that exist', () => {
    const store = createJobStore(home);
    store.save(record('demo-aaaaaa', '2025-01-01T00:00:00.000Z'));
    expect(() => store.getJob('demo-zzzzzz')).toThrow(expect.objectContaining({ code: 'E_NOT_FOUND' }));
    try {
      store.getJob('demo-zzzzzz');
    } catch (error) {
      expect((error as { hint: string }).hint).toContain('demo-aaaaaa');
      expect((error as { exitCode: number }).exitCode).toBe(2);
    }
    expect(store.findJob('../../etc/passwd')).toBeUndefined();
  });

  it('never lets a stale running status overwrite a terminal one', () => {
    const store = createJobStore(home);
    store.save(record('demo-aaaaaa', '2025-01-01T00:00:00.000Z'));
    store.saveStatus('demo-aaaaaa', finished('SUCCEEDED'));
    store.saveStatus('demo-aaaaaa', finished('RUNNING'));
    expect(store.getJob('demo-aaaaaa').state).toBe('SUCCEEDED');
  });

  it("keeps the next attempt's status when a reader stores one it read of the attempt before", () => {
    const store = createJobStore(home);
    store.save(record('demo-aaaaaa', '2025-01-01T00:00:00.000Z'));
    store.saveStatus('demo-aaaaaa', { ...finished('RUNNING'), attempt: 2 });
    store.saveStatus('demo-aaaaaa', { ...finished('RUNNING'), attempt: 1, message: 'restarting' });
    expect(store.getJob('demo-aaaaaa').status).toMatchObject({ attempt: 2 });
    expect(store.getJob('demo-aaaaaa').status?.message).toBeUndefined();
  });
});
