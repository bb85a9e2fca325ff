/**
 * Finding 11 of the hardening issue: `strato fake-cloud --data-dir` wrote
 * its object index only on a clean close, so a crash lost every object
 * (their bytes orphaned on disk).
 *
 * GIVEN `strato fake-cloud --data-dir D` as a separate process
 * WHEN objects are written (and one deleted) and the process is killed -9
 * THEN a new fake on D serves every object that was acknowledged, with its
 * bytes, the deleted one stays deleted, and no orphan blob is left.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../support/local.ts';

const work = tempDir('strato-fake-gcs-crash-');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  work.remove();
});

async function startFake(dataDir: string): Promise<{ child: ChildProcess; storage: string }> {
  const child = spawn(
    process.execPath,
    [join(REPO_ROOT, 'bin/strato.js'), 'fake-cloud', '--json', '--data-dir', dataDir, '--bucket', 'kept'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const first = JSON.parse((await lines.next()).value as string) as { storage: string };
  return { child, storage: first.storage };
}

const OBJECTS = 50;

describe('fake-cloud --data-dir under kill -9', () => {
  it('keeps every acknowledged object', async () => {
    const dataDir = join(work.path, 'data');
    const first = await startFake(dataDir);
    for (let i = 0; i < OBJECTS; i++) {
      const res = await fetch(
        `${first.storage}/upload/storage/v1/b/kept/o?uploadType=media&name=${encodeURIComponent(`dir/object-${i}.txt`)}`,
        { method: 'POST', body: `contents of object ${i}`, headers: { 'content-type': 'text/plain' } },
      );
      expect(res.status).toBe(200);
    }
    const deleted = await fetch(
      `${first.storage}/storage/v1/b/kept/o/${encodeURIComponent('dir/object-7.txt')}`,
      {
        method: 'DELETE',
      },
    );
    expect(deleted.status).toBe(204);
    const died = new Promise((resolve) => first.child.once('exit', resolve));
    first.child.kill('SIGKILL');
    await died;

    const second = await startFake(dataDir);
    const listing = (await (await fetch(`${second.storage}/storage/v1/b/kept/o?prefix=dir/`)).json()) as {
      items?: { name: string }[];
    };
    const names = (listing.items ?? []).map((item) => item.name);
    expect(names).toHaveLength(OBJECTS - 1);
    expect(names).not.toContain('dir/object-7.txt');
    const body = await (
      await fetch(
        `${second.storage}/storage/v1/b/kept/o/${encodeURIComponent('dir/object-42.txt')}?alt=media`,
      )
    ).text();
    expect(body).toBe('contents of object 42');
    expect(readdirSync(join(dataDir, 'blobs'))).toHaveLength(OBJECTS - 1);

    const stopped = new Promise((resolve) => second.child.once('exit', resolve));
    second.child.kill('SIGTERM');
    expect(await stopped).toBe(0);
  });
});
