/**
 * `strato run` as a user runs it — a separate process — through every way
 * it can end: success, failure, Ctrl-C, SIGKILL, and --detach. After each,
 * the OS confirms no process of the job survives (except when detached).
 */

import { afterAll, describe, expect, it } from 'vitest';
import { createJobStore } from '../../src/jobs/store.ts';
import { expectNothingSurvives, startCliRun, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-run-');
afterAll(() => home.remove());
const store = createJobStore(home.path);

describe('strato run', () => {
  it('follows a job to SUCCEEDED and exits 0', async () => {
    const run = startCliRun(home.path, 'run-ok', 'echo step; sleep 0.3');
    expect(await run.exited).toBe(0);
    expect(run.output()).toMatch(/worker-0\s+RUNNING \(pid \d+\)/);
    expect(run.output()).toMatch(/worker-1\s+SUCCEEDED \(exit 0\)/);
    expect(run.output()).toMatch(/run-ok-\w+ SUCCEEDED in [\d.]+ s \(attempt 1, 0 restarts\)/);
    await expectNothingSurvives(store.getJob(await run.jobId()).jobDir);
  });

  it('exits 1 when the job fails, showing the error and the last lines', async () => {
    const run = startCliRun(
      home.path,
      'run-fail',
      'if [ "$STRATO_REPLICA_INDEX" = 1 ]; then echo "bad data" >&2; exit 3; fi; sleep 30',
    );
    expect(await run.exited).toBe(1);
    expect(run.output()).toContain('error: worker-1 exited with code 3');
    expect(run.output()).toContain('  | bad data');
    await expectNothingSurvives(store.getJob(await run.jobId()).jobDir);
  });

  it('Ctrl-C cancels the job cleanly and exits 1', async () => {
    const run = startCliRun(home.path, 'run-int', 'sleep 30');
    const id = await run.jobId();
    await waitFor(() => run.output().includes('job        RUNNING'), 'RUNNING');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(1);
    const record = store.getJob(id);
    expect(record.state).toBe('CANCELLED');
    expect(record.status?.error?.message).toBe('cancelled: Ctrl-C in strato run');
    // The user's own cancel is said as such, not as an error.
    expect(run.output()).toMatch(/CANCELLED in [\d.]+ s .*\ncancelled: Ctrl-C in strato run\n/);
    expect(run.output()).not.toContain('error:');
    await expectNothingSurvives(record.jobDir);
  });
});
