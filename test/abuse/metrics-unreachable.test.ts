/**
 * Finding 8 of the hardening issue: one-shot `strato metrics` exited 0 when
 * the bucket did not exist or storage was unreachable, after a warning that
 * it was "retrying on the next poll" — there is no next poll.
 */

import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { type FakeGcs, fakeGcsEnv, startFakeGcs } from '../../src/testing/index.ts';

let fake: FakeGcs;
beforeAll(async () => {
  fake = await startFakeGcs({ buckets: ['metrics-there'] });
});
afterAll(async () => {
  await fake?.close();
});

async function metrics(endpoint: string, target: string) {
  const io = bufferIo({ env: { ...process.env, ...fakeGcsEnv(endpoint) } });
  const code = await main(['metrics', target], io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('one-shot strato metrics when storage cannot answer', () => {
  it('a bucket that does not exist: a non-zero exit naming it', async () => {
    const result = await metrics(fake.endpoint, 'gs://no-such-bucket/runs/x');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/error: .*no-such-bucket/);
    expect(result.stderr).not.toMatch(/retrying on the next poll|bug in Strato/);
  });

  it('storage unreachable: a non-zero exit, not "no scalars yet"', async () => {
    const result = await metrics(`http://127.0.0.1:${await closedPort()}`, 'gs://metrics-there/runs/x');
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error: /);
    expect(result.stderr).not.toMatch(/no scalars|retrying on the next poll|bug in Strato/);
  }, 60_000);

  it('an existing bucket with no metrics yet is still a quiet exit 0', async () => {
    const result = await metrics(fake.endpoint, 'gs://metrics-there/runs/empty');
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('no scalars under');
  });
});
