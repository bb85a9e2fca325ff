/** `strato fake-cloud` and `strato data push` as a user runs them. */

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFakeCloud } from '../../src/cli/commands/fake-cloud.ts';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { sleep } from '../../src/internal/sleep.ts';

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'strato-storage-cli-'));
  mkdirSync(join(work, 'src/images'), { recursive: true });
  writeFileSync(join(work, 'src/images/1.png'), 'png-1');
  writeFileSync(join(work, 'src/images/2.png'), 'png-22');
  writeFileSync(join(work, 'src/README'), 'readme');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('strato fake-cloud', () => {
  it('prints the endpoints as JSON first, then the env, and stops cleanly on SIGTERM', async () => {
    const child = spawn(
      process.execPath,
      ['bin/strato.js', 'fake-cloud', '--json', '--bucket', 'cli-bucket:US-EAST1'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const first = JSON.parse((await lines.next()).value as string) as { storage: string };
    expect(first.storage).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const env: string[] = [];
    while (!env.some((line) => line.startsWith('export RCLONE_CONFIG_FAKEGCS_TYPE')) && env.length < 30) {
      env.push((await lines.next()).value as string);
    }
    expect(env).toContain(`export STORAGE_EMULATOR_HOST=${first.storage}`);
    expect(env).toContain(`export CLOUDSDK_API_ENDPOINT_OVERRIDES_STORAGE=${first.storage}/`);
    expect(env).toContain("export RCLONE_CONFIG_FAKEGCS_TYPE='google cloud storage'");

    const bucket = await fetch(`${first.storage}/storage/v1/b/cli-bucket`);
    expect(((await bucket.json()) as { location: string }).location).toBe('US-EAST1');

    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await expect(fetch(`${first.storage}/storage/v1/b/cli-bucket`)).rejects.toThrow();
  });
});

describe('strato data push', () => {
  it('pushes through STORAGE_EMULATOR_HOST, skips on the second run, and --dry-run writes nothing', async () => {
    const io = bufferIo();
    let stop!: () => void;
    const stopped = new Promise<void>((resolve) => {
      stop = resolve;
    });
    const running = runFakeCloud({ storage: { buckets: ['push-bucket'] }, vertex: false }, io, true, stopped);
    while (!io.stdout.includes('\n')) await sleep(10);
    const { storage } = JSON.parse(io.stdout.split('\n')[0]!) as { storage: string };
    try {
      const env = { ...process.env, STORAGE_EMULATOR_HOST: storage, STRATO_HOME: join(work, 'home') };
      const push = async (...args: string[]) => {
        const out = bufferIo({ env });
        const code = await main(['data', 'push', join(work, 'src'), 'gs://push-bucket/ds', ...args], out);
        return { code, out: out.stdout, err: out.stderr };
      };
      const dry = await push('--dry-run', '--json');
      expect(dry.err).toBe('');
      expect(dry.code).toBe(0);
      expect(JSON.parse(dry.out)).toMatchObject({ dryRun: true, uploaded: 3 });
      const list = async () =>
        (
          (await (await fetch(`${storage}/storage/v1/b/push-bucket/o?prefix=ds/`)).json()) as {
            items?: { name: string }[];
          }
        ).items ?? [];
      expect(await list()).toEqual([]);

      const first = await push();
      expect(first.code).toBe(0);
      expect(first.out).toMatch(/^pushed 3 of 3 files \(17 B\) to gs:\/\/push-bucket\/ds, 0 unchanged/);
      expect((await list()).map((o) => o.name).sort()).toEqual([
        'ds/README',
        'ds/images/1.png',
        'ds/images/2.png',
      ]);

      const second = await push('--json', '--exclude', 'README');
      expect(JSON.parse(second.out)).toMatchObject({ files: 2, uploaded: 0, skipped: 2 });

      // -n lists each file it would upload and each object it would delete, and writes nothing.
      writeFileSync(join(work, 'src/images/3.png'), 'png-3');
      rmSync(join(work, 'src/README'));
      try {
        const listed = await push('-n', '--delete');
        expect(listed.code).toBe(0);
        expect(listed.out.split('\n').slice(0, 2)).toEqual([
          'would upload  images/3.png → gs://push-bucket/ds/images/3.png (5 B)',
          'would delete  gs://push-bucket/ds/README',
        ]);
        expect(listed.out).toMatch(/would push 1 of 3 files .*, 2 unchanged, would delete 1/);
        const listedJson = JSON.parse((await push('-n', '--delete', '--json')).out);
        expect(listedJson).toMatchObject({
          wouldUpload: [{ file: 'images/3.png', uri: 'gs://push-bucket/ds/images/3.png', bytes: 5 }],
          wouldDelete: ['gs://push-bucket/ds/README'],
        });
        expect((await list()).map((o) => o.name).sort()).toEqual([
          'ds/README',
          'ds/images/1.png',
          'ds/images/2.png',
        ]);
      } finally {
        rmSync(join(work, 'src/images/3.png'));
        writeFileSync(join(work, 'src/README'), 'readme');
      }
    } finally {
      stop();
      await running;
    }
  });

  it('GIVEN bad input THEN one line and a hint, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['data'], /missing the verb/],
      [['data', 'pull', 'a', 'b'], /unknown data verb "pull"/],
      [['data', 'push', join(work, 'src')], /push needs SRC and DST/],
      [['data', 'push', join(work, 'nope'), 'gs://b-b-b/x'], /source .*nope does not exist/],
      [['data', 'push', join(work, 'src'), 'gs://UPPER/x'], /not a valid bucket name/],
      [['data', 'push', join(work, 'src'), 'gs:///x'], /names no bucket/],
      [['data', 'push', join(work, 'src'), 'gs://ok-bucket/x', '--chunk-size', 'lots'], /not a size/],
    ];
    for (const [argv, message] of cases) {
      const io = bufferIo();
      expect(await main(argv, io)).toBe(2);
      expect(io.stderr).toMatch(message);
      expect(io.stderr).toMatch(/\nhint: /);
      expect(io.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
