/**
 * GIVEN a Spot job submitted to the fake Vertex the way `strato submit`
 * does (detached) WHEN Vertex preempts its first attempt THEN the job's
 * controller, with no `strato` command running and nobody asking for the
 * status, submits attempt 2, which succeeds — as the fake Vertex itself
 * shows, read over the real client — and then exits.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findControllerRecord } from '../../src/jobs/controller.ts';
import { createJobStore } from '../../src/jobs/store.ts';
import { submit } from '../../src/jobs/submit.ts';
import { isProcessAlive } from '../../src/providers/local/proc.ts';
import { createVertexApi } from '../../src/providers/vertex/api.ts';
import { waitFor } from '../support/local.ts';
import { useVertexCloud } from '../support/vertex.ts';

const env = useVertexCloud();

/** Attempt 1 trains until SIGTERM and exits 143 (TF's preemption exit); a later attempt finishes. */
const SCRIPT = `
const fs = require('node:fs');
const mark = require('node:path').join(process.env.MARKS, 'first');
if (!fs.existsSync(mark)) {
  fs.writeFileSync(mark, '');
  process.on('SIGTERM', () => process.exit(143));
  setTimeout(() => {}, 60000);
} else {
  setTimeout(() => console.log('attempt 2 done'), 300);
}`;

describe('a detached Vertex job', () => {
  it('is restarted after a preemption with no strato command running', { timeout: 90_000 }, async () => {
    const marks = mkdtempSync(join(tmpdir(), 'strato-marks-'));
    const job = await submit(
      {
        apiVersion: 'strato.dev/v1',
        kind: 'Job',
        name: 'detached-spot',
        strategy: 'one-device',
        container: {
          image: 'us-docker.pkg.dev/my-project/strato/t:1',
          command: [process.execPath, '-e', SCRIPT],
          env: { MARKS: marks },
        },
        resources: { workers: { machineType: 'n1-standard-4' } },
        output: 'gs://strato-e2e/runs/detached-spot',
        provider: { name: 'vertex', project: 'my-project', region: 'us-central1' },
        scheduling: { spot: true, maxRestarts: 1 },
      },
      env.jobs,
    );
    const controller = findControllerRecord(job.record.jobDir)!;
    expect(isProcessAlive(controller.pid!, controller.startTicks)).toBe(true);

    // From here on, only the fake Vertex is asked (over the real client), never Strato.
    const fake = env.cloud.vertex!;
    const api = await createVertexApi('my-project', 'us-central1', fake.clientOptions());
    const attempt = async (n: number) =>
      (await api.list(`labels.strato-job-id="${job.id}" AND labels.strato-attempt="${n}"`))[0];
    try {
      await waitFor(async () => (await attempt(1))?.state === 'JOB_STATE_RUNNING', 'attempt 1 running');
      await waitFor(() => existsSync(join(marks, 'first')), 'attempt 1 training');
      await fake.preempt((await attempt(1))!.name);
      const second = await waitFor(attempt.bind(null, 2), 'attempt 2 submitted by the controller', 60_000);
      expect(second.displayName).toBe(`${job.id}-attempt-2`);
      await waitFor(
        async () => (await attempt(2))?.state === 'JOB_STATE_SUCCEEDED',
        'attempt 2 succeeded',
        60_000,
      );
      expect(await attempt(3)).toBeUndefined();
      // Its work done, the controller has recorded the end and exited.
      await waitFor(() => !isProcessAlive(controller.pid!, controller.startTicks), 'the controller exited');
      const record = createJobStore(env.home).getJob(job.id);
      expect(record.state).toBe('SUCCEEDED');
      expect(record.status).toMatchObject({ attempt: 2, restarts: [{ attempt: 2 }] });
      expect(record.status!.restarts[0]!.reason).toMatch(
        /The job was preempted.*\(a preemption\); restarting as attempt 2 of 2/,
      );
    } finally {
      await api.close();
      rmSync(marks, { recursive: true, force: true });
    }
  });
});
