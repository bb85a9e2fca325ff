/**
 * Finding 10 of the hardening issue: `data push` refuses a symlink that
 * leads out of the tree with "use --exclude", but --exclude was applied
 * after the symlink check, so following the advice still failed.
 */

import { mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { tempDir } from '../support/local.ts';

const work = tempDir('strato-push-symlink-');
afterAll(() => work.remove());

async function strato(...argv: string[]) {
  const io = bufferIo({ cwd: work.path });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('a symlink out of the source tree', () => {
  it('is refused with the --exclude hint, and --exclude of it then works', async () => {
    const src = join(work.path, 'src');
    const outside = join(work.path, 'outside');
    mkdirSync(join(src, 'train'), { recursive: true });
    mkdirSync(outside);
    writeFileSync(join(src, 'train', 'a.csv'), 'a');
    writeFileSync(join(outside, 'secret.txt'), 'not data');
    symlinkSync(outside, join(src, 'train', 'elsewhere'));
    const dst = `file://${join(work.path, 'dst')}`;

    const refused = await strato('data', 'push', src, dst, '--quiet');
    expect(refused.code).toBe(2);
    const hint = /--exclude '([^']+)'/.exec(refused.stderr)?.[1];
    expect(hint).toBe('train/elsewhere');

    for (const exclude of [hint!, 'train/elsewhere/**', 'elsewhere']) {
      const pushed = await strato('data', 'push', src, dst, '--quiet', '--exclude', exclude);
      expect([exclude, pushed.code, pushed.stderr]).toEqual([exclude, 0, '']);
    }
    expect(readdirSync(join(work.path, 'dst', 'train'))).toEqual(['a.csv']);
  });
});
