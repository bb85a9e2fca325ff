/**
 * GIVEN the fake cloud WHEN the response to the create call is lost THEN the
 * submit still ends with exactly one CustomJob, which runs to SUCCEEDED.
 */

import { describe, expect, it } from 'vitest';
import { submit } from '../../src/jobs/submit.ts';
import { trainerJob, useVertexCloud } from '../support/vertex.ts';

const env = useVertexCloud();

describe('Vertex lost create response end to end', () => {
  it('ends with exactly one job when the create response is lost', async () => {
    env.cloud.vertex!.faults.add({ method: 'CreateCustomJob', fault: 'lose-response' });
    const job = await submit(
      trainerJob('e2e-lost-response', ['--epochs=1', '--train-examples=256']),
      env.jobs,
    );
    const status = await job.wait({ pollIntervalMs: 50 });
    expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');
    const jobs = env.cloud.vertex!.service.list({
      parent: 'projects/my-project/locations/us-central1',
      filter: `labels.strato-job-id="${job.id}"`,
    }).customJobs;
    expect(jobs).toHaveLength(1);
    expect(env.cloud.vertex!.faults.counts.injected).toBeGreaterThanOrEqual(1);
  });
});
