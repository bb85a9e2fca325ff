/**
 * `strato run` killed with SIGKILL, and `strato run --detach` interrupted:
 * what survives is checked with the OS.
 */

import { afterAll, describe, expect, it } from 'vitest';
import { createJobStore } from '../../src/jobs/store.ts';
import { expectNothingSurvives, startCliRun, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-run-kill-');
afterAll(() => home.remove());
const store = createJobStore(home.path);

describe('strato run, ended from outside', () => {
  it('SIGKILL of strato run leaves no replica running, and the record says what happened', async () => {
    const run = startCliRun(home.path, 'run-kill', 'sleep 30');
    const id = await run.jobId();
    await waitFor(() => run.output().includes('job        RUNNING'), 'RUNNING');
    run.child.kill('SIGKILL');
    await run.exited;
    const jobDir = store.getJob(id).jobDir;
    await expectNothingSurvives(jobDir);
    const status = await waitFor(async () => {
      const job = await (await import('../../src/jobs/submit.ts')).getJob(id, { home: home.path });
      const s = await job.status();
      return s.state === 'CANCELLED' ? s : undefined;
    }, 'CANCELLED');
    expect(status.message).toContain(
      'the process that started the job (strato run) exited without cancelling it',
    );
  });

  it('--detach: Ctrl-C only stops following; the job goes on', async () => {
    const run = startCliRun(home.path, 'run-detach', 'sleep 30', '--detach');
    const id = await run.jobId();
    await waitFor(() => run.output().includes('job        RUNNING'), 'RUNNING');
    run.child.kill('SIGINT');
    expect(await run.exited).toBe(0);
    const { getJob } = await import('../../src/jobs/submit.ts');
    const job = await getJob(id, { home: home.path });
    expect((await job.status()).state).toBe('RUNNING');
    expect((await job.cancel()).state).toBe('CANCELLED');
    await expectNothingSurvives(job.record.jobDir);
  });
});
