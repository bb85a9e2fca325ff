/**
 * The contracts written on the Provider interface (src/providers/types.ts),
 * checked once for every provider from this table. A provider joins by
 * adding a row: how to build it, a spec that runs a shell command on it, and
 * a handle to a job it has never heard of.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { submit } from '../../../src/jobs/submit.ts';
import { createLocalProvider } from '../../../src/providers/local/index.ts';
import { isTerminalState, type JobHandle, type Provider } from '../../../src/providers/types.ts';
import type { JobSpecInput } from '../../../src/spec/schema.ts';
import { shellSpec, tempDir } from '../../support/local.ts';

interface ProviderRow {
  name: string;
  create(): Promise<{ provider: Provider; close(): Promise<void> }>;
  /** A spec for this provider whose every replica runs `sh -c script`. */
  spec(script: string): JobSpecInput;
  unknownHandle(home: string): JobHandle;
}

const ROWS: ProviderRow[] = [
  {
    name: 'local',
    create: async () => ({
      provider: createLocalProvider({ graceMs: 1000, pollIntervalMs: 50 }),
      close: async () => {},
    }),
    spec: (script) => shellSpec(script, { strategy: 'one-device', resources: {} }),
    unknownHandle: (home) => ({
      provider: 'local',
      id: 'ghost-000000',
      data: { jobDir: `${home}/jobs/ghost-000000` },
    }),
  },
];

const home = tempDir('strato-contract-');
afterAll(() => home.remove());

describe.each(ROWS)('provider contract: $name', (row) => {
  const run = async (script: string) => {
    const { provider, close } = await row.create();
    const started = Date.now();
    const job = await submit(row.spec(script), { provider, home: home.path });
    return { provider, close, job, submitMs: Date.now() - started };
  };

  it('submit returns before the job runs', async () => {
    const { job, close, submitMs } = await run('sleep 5');
    try {
      expect(submitMs).toBeLessThan(5_000);
      expect(isTerminalState((await job.status()).state)).toBe(false);
    } finally {
      await job.cancel();
      await close();
    }
  });

  it('status of a job it never heard of is E_NOT_FOUND', async () => {
    const { provider, close } = await row.create();
    await expect(provider.status(row.unknownHandle(home.path))).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
    await close();
  });

  it('cancel ends a running job as CANCELLED; cancelling again, or a finished job, is a quiet no-op', async () => {
    const { job, provider, close } = await run('sleep 30');
    const cancelled = await job.cancel();
    expect(cancelled.state).toBe('CANCELLED');
    await expect(provider.cancel(job.record.handle)).resolves.toBeUndefined();
    expect((await job.status()).state).toBe('CANCELLED');

    const done = await run('true');
    expect((await done.job.wait({ pollIntervalMs: 50 })).state).toBe('SUCCEEDED');
    await expect(done.provider.cancel(done.job.record.handle)).resolves.toBeUndefined();
    expect((await done.job.status()).state).toBe('SUCCEEDED');
    await close();
    await done.close();
  });

  it('logs yields what replicas printed; followed, it ends when the job ends', async () => {
    const { job, close } = await run('echo one; sleep 0.5; echo two');
    const lines: string[] = [];
    for await (const line of job.logs({ follow: true, pollIntervalMs: 50 }))
      lines.push(`${line.replica}: ${line.text}`);
    expect(lines).toEqual(['worker-0: one', 'worker-0: two']);
    expect(isTerminalState((await job.status()).state)).toBe(true);
    await close();
  });
});
