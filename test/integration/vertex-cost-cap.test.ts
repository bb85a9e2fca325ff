/**
 * `scheduling.maxCostUsd` (issue 18, item 3): GIVEN a job on the fake
 * Vertex with a cap its list price reaches in about two seconds of running
 * WHEN it runs THEN it is cancelled — by its detached controller when
 * nobody follows it, by the follower's lifecycle otherwise — the CustomJob
 * is CANCELLED on the fake (read over the real client), and its status says
 * why: the estimated spend and the cap.
 */

import { describe, expect, it } from 'vitest';
import { findControllerRecord } from '../../src/jobs/controller.ts';
import { createJobStore } from '../../src/jobs/store.ts';
import { submit } from '../../src/jobs/submit.ts';
import { isProcessAlive } from '../../src/providers/local/proc.ts';
import { createVertexApi } from '../../src/providers/vertex/api.ts';
import { MACHINE_PRICES } from '../../src/spec/catalog/prices.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { waitFor } from '../support/local.ts';
import { useVertexCloud } from '../support/vertex.ts';

const env = useVertexCloud();

const PRICE = MACHINE_PRICES['n1-standard-4']!.onDemandUsd;
/** What two seconds of one n1-standard-4 cost on-demand. */
const CAP = (PRICE * 2) / 3600;

/** Runs for a minute unless stopped. */
function cappedSpec(name: string): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name,
    strategy: 'one-device',
    container: {
      image: 'us-docker.pkg.dev/my-project/strato/t:1',
      command: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'],
    },
    resources: { workers: { machineType: 'n1-standard-4' } },
    output: `gs://strato-e2e/runs/${name}`,
    provider: { name: 'vertex', project: 'my-project', region: 'us-central1' },
    scheduling: { maxCostUsd: CAP },
  };
}

const REASON = /^cancelled: estimated spend \$(\S+) reached the cap scheduling\.maxCostUsd = (\S+)$/;

async function customJobOf(id: string) {
  const api = await createVertexApi('my-project', 'us-central1', env.cloud.vertex!.clientOptions());
  return (await api.list(`labels.strato-job-id="${id}"`))[0];
}

describe('scheduling.maxCostUsd on the fake Vertex', () => {
  it('a detached job is cancelled by its controller once the estimated spend reaches the cap', {
    timeout: 90_000,
  }, async () => {
    const job = await submit(cappedSpec('capped-detached'), env.jobs);
    expect(job.record.cost).toEqual({ hourlyUsd: PRICE, maxCostUsd: CAP });
    const controller = findControllerRecord(job.record.jobDir)!;
    expect(isProcessAlive(controller.pid!, controller.startTicks)).toBe(true);

    // Nobody asks Strato from here: only the fake Vertex, over the real client, and the stored record.
    const cancelled = await waitFor(
      async () => {
        const customJob = await customJobOf(job.id);
        return customJob?.state === 'JOB_STATE_CANCELLED' ? customJob : undefined;
      },
      'the CustomJob cancelled by the controller',
      60_000,
    );
    const store = createJobStore(env.home);
    const record = await waitFor(() => {
      const stored = store.getJob(job.id);
      return stored.state === 'CANCELLED' ? stored : undefined;
    }, 'the record says CANCELLED');
    const [, spend, cap] = REASON.exec(record.status!.message ?? '') ?? [];
    expect(record.status!.message).toMatch(REASON);
    expect(record.status!.error?.message).toBe(record.status!.message);
    expect(Number(cap)).toBe(CAP);
    expect(Number(spend)).toBeGreaterThanOrEqual(Number(CAP.toPrecision(2)));
    // Not cancelled before the price × running time could reach the cap.
    const ran = cancelled.endTime!.getTime() - cancelled.startTime!.getTime();
    expect(ran).toBeGreaterThanOrEqual(2000);
    await waitFor(() => !isProcessAlive(controller.pid!, controller.startTicks), 'the controller exited');
  });

  it('a followed job ends CANCELLED with the reason in the status its follower gets', {
    timeout: 90_000,
  }, async () => {
    const job = await submit(cappedSpec('capped-followed'), { ...env.jobs, stopWhenCallerExits: true });
    const final = await job.wait({ pollIntervalMs: 100 });
    expect(final.state).toBe('CANCELLED');
    expect(final.message).toMatch(REASON);
    expect((await customJobOf(job.id))?.state).toBe('JOB_STATE_CANCELLED');
  });
});
