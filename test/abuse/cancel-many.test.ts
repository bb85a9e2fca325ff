/**
 * The "also" item of the hardening issue: `cancel A B nosuch` cancelled none
 * (by design: a typo must not stop only part of a list) but named only the
 * bad id that came first. Every bad id is named now, and nothing is cancelled.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { shellSpec, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-cancel-many-');
afterAll(() => home.remove());
const env = { ...process.env, STRATO_HOME: home.path };

async function strato(...argv: string[]) {
  const io = bufferIo({ env });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

describe('strato cancel with some unknown ids', () => {
  it('cancels nothing and names every unknown id (exit 2)', async () => {
    const file = join(home.path, 'many.yaml');
    writeFileSync(file, JSON.stringify(shellSpec('sleep 30', { name: 'many' })));
    const id = (await strato('submit', file)).stdout.trim();
    try {
      await waitFor(async () => (await strato('status', id)).stdout.includes('RUNNING'), 'RUNNING');
      const result = await strato('cancel', id, 'nosuch-aaaaaa', 'nosuch-bbbbbb');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('nothing cancelled');
      expect(result.stderr).toContain('nosuch-aaaaaa');
      expect(result.stderr).toContain('nosuch-bbbbbb');
      expect((await strato('status', id)).stdout).toContain('RUNNING');
    } finally {
      expect((await strato('cancel', id)).stdout).toContain(`${id}: CANCELLED`);
    }
  });
});
