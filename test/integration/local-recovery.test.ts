/**
 * Recovery on the local provider: restarts after preemption, a supervisor
 * that dies (with or without its watchdog), a port already taken — and after
 * each, the OS confirms that no process of the job survives.
 */

import { appendFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { submit } from '../../src/jobs/submit.ts';
import { createLocalProvider } from '../../src/providers/local/index.ts';
import { isProcessAlive } from '../../src/providers/local/proc.ts';
import { findLocalState } from '../../src/providers/local/state.ts';
import { expectNothingSurvives, shellSpec, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-recovery-');
afterAll(() => home.remove());
const provider = createLocalProvider({ graceMs: 1000, pollIntervalMs: 50 });
const options = { provider, home: home.path };
const fast = { pollIntervalMs: 50 };

describe('local job recovery', () => {
  it('a preempted replica restarts the whole job (maxRestarts); the count and reason show in status', async () => {
    const marks = tempDir('strato-marks-');
    const script =
      'if [ "$STRATO_REPLICA_INDEX" = 1 ] && [ ! -e "$MARKS/done" ]; then touch "$MARKS/done"; kill -9 $$; fi; echo "attempt ok"';
    const job = await submit(
      shellSpec(script, {
        container: { command: ['sh', '-c', script], env: { MARKS: marks.path } },
        scheduling: { maxRestarts: 1 },
      }),
      options,
    );
    const status = await job.wait(fast);
    marks.remove();
    expect(status.state).toBe('SUCCEEDED');
    expect(status.attempt).toBe(2);
    expect(status.restarts).toHaveLength(1);
    expect(status.restarts[0]!.reason).toContain('worker-1 was killed by SIGKILL');
    await expectNothingSurvives(job.record.jobDir);
  });

  it('without maxRestarts a preemption fails the job and says why it was not restarted', async () => {
    const job = await submit(
      shellSpec('if [ "$STRATO_REPLICA_INDEX" = 0 ]; then exit 143; fi; sleep 30'),
      options,
    );
    const status = await job.wait(fast);
    expect(status.state).toBe('FAILED');
    expect(status.error?.message).toContain('scheduling.maxRestarts is 0');
    await expectNothingSurvives(job.record.jobDir);
  });

  it('a SIGKILLed supervisor: the watchdog stops the replicas and status says what happened', async () => {
    const job = await submit(shellSpec('sleep 30'), options);
    await waitFor(async () => (await job.status()).state === 'RUNNING', 'RUNNING');
    const state = findLocalState(job.record.jobDir)!;
    const replicaPids = state.replicas.map((r) => r.pid!);
    process.kill(state.supervisor.pid!, 'SIGKILL');
    // Nobody asks for the status: the watchdog alone must stop the replicas.
    await waitFor(() => replicaPids.every((pid) => !isAlive(pid)), 'replicas stopped by the watchdog');
    const status = await job.status();
    expect(status.state).toBe('FAILED');
    expect(status.message).toMatch(/supervisor \(pid \d+\) died before the job ended/);
    // A SIGKILLed supervisor leaves no last words: the status says so instead of pointing at an empty log.
    expect(status.message).toMatch(
      /it wrote nothing to .*supervisor\.log: it was killed .*is the disk full\?/,
    );
    await expectNothingSurvives(job.record.jobDir);
  });

  it('supervisor and watchdog both SIGKILLed: the next status kills the replicas itself', async () => {
    const job = await submit(shellSpec('sleep 30'), options);
    await waitFor(async () => (await job.status()).state === 'RUNNING', 'RUNNING');
    const state = findLocalState(job.record.jobDir)!;
    process.kill(state.supervisor.watchdogPid!, 'SIGKILL');
    // Its last words, as a supervisor that ran out of disk would have written them.
    appendFileSync(join(job.record.jobDir, 'supervisor.log'), 'starting worker-0\nwrite failed: ENOSPC\n');
    process.kill(state.supervisor.pid!, 'SIGKILL');
    await waitFor(() => !isAlive(state.supervisor.pid!), 'supervisor gone');
    const status = await job.status();
    expect(status.state).toBe('FAILED');
    expect(status.message).toContain('replica group(s) it left were killed');
    expect(status.message).toMatch(/the end of .*supervisor\.log: .*write failed: ENOSPC$/);
    await expectNothingSurvives(job.record.jobDir);
  });

  it('a port another program holds is not handed to the cluster', async () => {
    const server: Server = createServer();
    const taken = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );
    const picky = createLocalProvider({ graceMs: 1000, portCandidates: [taken, taken] });
    const job = await submit(shellSpec('echo "$TF_CONFIG"'), { provider: picky, home: home.path });
    expect((await job.wait(fast)).state).toBe('SUCCEEDED');
    const lines: string[] = [];
    for await (const line of job.logs()) lines.push(line.text);
    expect(lines.join('\n')).not.toContain(`:${taken}"`);
    await new Promise((resolve) => server.close(resolve));
  });
});

function isAlive(pid: number): boolean {
  return isProcessAlive(pid);
}
