/**
 * The job lifecycle on the local provider, end to end through the SDK:
 * every way a job can end, and after each, the OS confirms that no process
 * of the job survives.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { submit } from '../../src/jobs/submit.ts';
import { createLocalProvider } from '../../src/providers/local/index.ts';
import { expectNothingSurvives, shellSpec, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-lifecycle-');
afterAll(() => home.remove());
const provider = createLocalProvider({ graceMs: 1000, pollIntervalMs: 50 });
const options = { provider, home: home.path };
const fast = { pollIntervalMs: 50 };

describe('local job lifecycle', () => {
  it('SUCCEEDED when every worker exits 0; replicas get TF_CONFIG with free loopback ports', async () => {
    const job = await submit(shellSpec('echo "$TF_CONFIG"'), options);
    const status = await job.wait(fast);
    expect(status.state).toBe('SUCCEEDED');
    expect(status.replicas.map((r) => r.state)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const lines: string[] = [];
    for await (const line of job.logs({ replica: 'worker-1' })) lines.push(line.text);
    const config = JSON.parse(lines[0]!) as { cluster: { worker: string[] }; task: { index: number } };
    expect(config.task.index).toBe(1);
    expect(config.cluster.worker).toHaveLength(2);
    for (const address of config.cluster.worker) expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    await expectNothingSurvives(job.record.jobDir);
  });

  it('FAILED when a worker exits non-zero: the error names it, its exit code and its last lines', async () => {
    const job = await submit(
      shellSpec(
        'if [ "$STRATO_REPLICA_INDEX" = 1 ]; then echo "loading shard"; echo "out of memory" >&2; exit 3; fi; sleep 30',
      ),
      options,
    );
    const status = await job.wait(fast);
    expect(status.state).toBe('FAILED');
    expect(status.error).toMatchObject({ replica: 'worker-1', exitCode: 3 });
    expect(status.error?.message).toContain('worker-1 exited with code 3');
    expect(status.error?.lastLines).toEqual(['loading shard', 'out of memory']);
    expect(status.replicas.find((r) => r.name === 'worker-0')?.state).toBe('STOPPED');
    await expectNothingSurvives(job.record.jobDir);
  });

  it('a command that does not exist is FAILED at once with a clear error', async () => {
    const started = Date.now();
    const job = await submit(shellSpec('', { container: { command: ['strato-no-such-trainer'] } }), options);
    const status = await job.wait(fast);
    expect(status.state).toBe('FAILED');
    expect(status.error?.message).toMatch(/could not start: command not found: strato-no-such-trainer/);
    expect(Date.now() - started).toBeLessThan(15_000);
    await expectNothingSurvives(job.record.jobDir);
  });

  it('enforces scheduling.timeoutSec', async () => {
    const job = await submit(shellSpec('sleep 30', { scheduling: { timeoutSec: 1 } }), options);
    const status = await job.wait(fast);
    expect(status.state).toBe('FAILED');
    expect(status.error?.message).toContain('scheduling.timeoutSec (1 s)');
    await expectNothingSurvives(job.record.jobDir);
  });

  it('cancel: SIGTERM to every replica, SIGKILL after the grace period, CANCELLED', async () => {
    const job = await submit(shellSpec('trap "" TERM; sleep 30 & wait; sleep 30'), options);
    await waitFor(async () => (await job.status()).state === 'RUNNING', 'RUNNING');
    const status = await job.cancel('test cancel');
    expect(status.state).toBe('CANCELLED');
    expect(status.error?.message).toBe('cancelled: test cancel');
    expect(status.replicas.every((r) => r.state === 'STOPPED')).toBe(true);
    await expectNothingSurvives(job.record.jobDir);
  });

  it('parameter-server: the chief ends the job; ps and workers are then stopped', async () => {
    const job = await submit(
      shellSpec('if [ "$STRATO_ROLE" = chief ]; then sleep 0.3; exit 0; fi; sleep 30', {
        strategy: 'parameter-server',
        resources: { chief: {}, workers: { replicas: 2 }, ps: { replicas: 1 } },
      }),
      options,
    );
    const status = await job.wait(fast);
    expect(status.state).toBe('SUCCEEDED');
    expect(status.replicas.map((r) => `${r.name}:${r.state}`)).toEqual([
      'chief-0:SUCCEEDED',
      'worker-0:STOPPED',
      'worker-1:STOPPED',
      'ps-0:STOPPED',
    ]);
    await expectNothingSurvives(job.record.jobDir);
  });
});
