/**
 * The "also" items of the hardening issue on `data push`: `--delete` from an
 * empty source would delete everything under the prefix without a guard,
 * and Ctrl-C printed nothing.
 */

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { type FakeGcs, fakeGcsEnv, startFakeGcs } from '../../src/testing/index.ts';
import { REPO_ROOT, tempDir, waitFor } from '../support/local.ts';

const work = tempDir('strato-push-guards-');
let fake: FakeGcs;
beforeAll(async () => {
  fake = await startFakeGcs({ buckets: ['guarded', 'slow'] });
});
afterAll(async () => {
  await fake?.close();
  work.remove();
});

async function push(...args: string[]) {
  const io = bufferIo({ cwd: work.path, env: { ...process.env, ...fakeGcsEnv(fake.endpoint) } });
  const code = await main(['data', 'push', ...args, '--quiet'], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const objectsUnder = (bucket: string, prefix: string) =>
  [...fake.state.getBucket(bucket).objects.keys()].filter((name) => name.startsWith(prefix));

describe('data push --delete from an empty source', () => {
  it('is refused (the objects stay) unless --allow-empty-source says so', async () => {
    const full = join(work.path, 'full');
    const empty = join(work.path, 'empty');
    mkdirSync(full);
    mkdirSync(empty);
    for (let i = 0; i < 5; i++) writeFileSync(join(full, `${i}.txt`), `file ${i}`);
    expect((await push(full, 'gs://guarded/data')).code).toBe(0);
    expect(objectsUnder('guarded', 'data/')).toHaveLength(5);

    const refused = await push(empty, 'gs://guarded/data', '--delete');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/has no files: --delete would delete all 5 object/);
    expect(refused.stderr).toContain('--allow-empty-source');
    expect(objectsUnder('guarded', 'data/')).toHaveLength(5);

    // Filters that keep nothing delete nothing either: objects they leave out are never deleted.
    const filtered = await push(full, 'gs://guarded/data', '--delete', '--include', '*.csv');
    expect(filtered.code).toBe(0);
    expect(objectsUnder('guarded', 'data/')).toHaveLength(5);

    const allowed = await push(empty, 'gs://guarded/data', '--delete', '--allow-empty-source');
    expect(allowed.code).toBe(0);
    expect(objectsUnder('guarded', 'data/')).toHaveLength(0);
  });
});

describe('data push and Ctrl-C', () => {
  it('prints what happened and how to go on, then stops', { timeout: 60_000 }, async () => {
    const src = join(work.path, 'many');
    mkdirSync(src);
    for (let i = 0; i < 400; i++) writeFileSync(join(src, `${i}.txt`), `file ${i}`);
    fake.faults.latencyMs = 100;
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin/strato.js'), 'data', 'push', src, 'gs://slow/many', '-j', '2'],
      { env: { ...process.env, ...fakeGcsEnv(fake.endpoint) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    await waitFor(() => objectsUnder('slow', 'many/').length >= 2, 'the push to be under way', 30_000);
    child.kill('SIGINT');
    const code = await exited;
    fake.faults.latencyMs = 0;
    expect(stderr).toMatch(/interrupted: stopping after the uploads in flight \(\d+ of 400 files done\)/);
    expect(stderr).toContain('run the same command again');
    expect(code).toBe(1);
    expect(objectsUnder('slow', 'many/').length).toBeLessThan(400);
  });
});
