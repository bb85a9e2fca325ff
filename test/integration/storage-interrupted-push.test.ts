/**
 * `strato data push` killed half-way (SIGKILL, nothing saved on the way out)
 * and run again: the large file is never visible half-written, and the
 * second run sends only what the service does not have yet.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { sleep } from '../../src/internal/sleep.ts';
import { crc32cBase64 } from '../../src/storage/checksum.ts';
import { type FakeGcs, startFakeGcs } from '../../src/testing/index.ts';

const KIB = 1024;
const LARGE = 4 * 1024 * KIB;
const CHUNK = '256Ki';

let fake: FakeGcs;
let work: string;
let large: Buffer;
const children: ChildProcess[] = [];

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'strato-interrupt-'));
  mkdirSync(join(work, 'src/small'), { recursive: true });
  large = randomBytes(LARGE);
  writeFileSync(join(work, 'src/large.bin'), large);
  for (let i = 0; i < 20; i++) writeFileSync(join(work, 'src/small', `${i}.txt`), `small file ${i}`);
  fake = await startFakeGcs({ buckets: ['interrupted'] });
});

afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await fake?.close();
  rmSync(work, { recursive: true, force: true });
});

const journalDir = () => join(work, 'home/cache/uploads');
const journaled = () => {
  try {
    return readdirSync(journalDir()).filter((f) => f.endsWith('.json')).length;
  } catch {
    return 0;
  }
};

describe('an interrupted push', () => {
  it('GIVEN a push killed mid-file THEN no partial object is visible and the rerun sends only the rest', async () => {
    // Slow chunks, so the kill lands between them.
    fake.faults.add({ method: 'PUT', path: 'upload_id', fault: { delayMs: 150 } });
    const child = spawn(
      process.execPath,
      [
        'bin/strato.js',
        'data',
        'push',
        join(work, 'src'),
        'gs://interrupted/data',
        '--endpoint',
        fake.endpoint,
        '--chunk-size',
        CHUNK,
        '--quiet',
      ],
      { env: { ...process.env, STRATO_HOME: join(work, 'home') }, stdio: 'ignore' },
    );
    children.push(child);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    const deadline = Date.now() + 20_000;
    while (fake.counters.uploadedBytes < LARGE / 4 || journaled() === 0) {
      if (Date.now() > deadline) throw new Error('the push made no progress');
      await sleep(20);
    }
    child.kill('SIGKILL');
    await exited;

    const sentBeforeKill = fake.counters.uploadedBytes;
    expect(fake.state.findObject('interrupted', 'data/large.bin')).toBeUndefined();
    expect(sentBeforeKill).toBeLessThan(LARGE);

    fake.faults.clear();
    const io = bufferIo({ env: { ...process.env, STRATO_HOME: join(work, 'home') } });
    const code = await main(
      [
        'data',
        'push',
        join(work, 'src'),
        'gs://interrupted/data',
        '--endpoint',
        fake.endpoint,
        '--chunk-size',
        CHUNK,
        '--json',
        '--quiet',
      ],
      io,
    );
    expect(io.stderr).toBe('');
    expect(code).toBe(0);
    const summary = JSON.parse(io.stdout) as { uploaded: number; skipped: number };
    expect(summary.uploaded + summary.skipped).toBe(21);
    expect(summary.skipped).toBeGreaterThan(0);

    const resent = fake.counters.uploadedBytes - sentBeforeKill;
    const smallBytes = 20 * 14;
    expect(resent).toBeLessThanOrEqual(LARGE - LARGE / 4 + smallBytes + 256 * KIB);
    expect(fake.state.getObject('interrupted', 'data/large.bin').crc32c).toBe(crc32cBase64(crc32c(large)));
    expect(journaled()).toBe(0);
  });
});
