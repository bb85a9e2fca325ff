/**
 * A job's detached controller never outlives its job: when a service call
 * does not return (here: the fake Compute holds every answer for 10 minutes)
 * its loop cannot tick, and the watchdog outside the loop still ends the
 * process once the job's record is gone. Before it, such controllers lived on
 * after their job folder, their cloud and SIGTERM were all gone.
 */

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { submit } from '../../src/jobs/submit.ts';
import { createGceProvider } from '../../src/providers/gce/index.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { tempDir, waitFor } from '../support/local.ts';
import { createDefaultNetwork } from '../support/machine-sim.ts';

let fake: FakeCloud;
const home = tempDir('strato-controller-watchdog-');

beforeAll(async () => {
  fake = await startFakeCloud({
    storage: { buckets: [{ name: 'my-bucket' }] },
    compute: {},
    vertex: false,
    tpu: false,
    logging: false,
  });
  await createDefaultNetwork(fake.env);
});
afterAll(async () => {
  fake.compute!.faults.clear();
  await fake?.close();
  home.remove();
});

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the controller watchdog', () => {
  it('ends a controller stuck in a call that never returns once its job record is gone', async () => {
    const job = await submit(
      {
        apiVersion: 'strato.dev/v1',
        kind: 'Job',
        name: 'stuck',
        strategy: 'multi-worker-mirrored',
        container: { image: 'us-docker.pkg.dev/p/r/t:1', command: ['sleep', '600'] },
        resources: { workers: { replicas: 2, machineType: 'n1-standard-4' } },
        output: 'gs://my-bucket/runs/stuck',
        provider: { name: 'gce', project: 'my-project', zone: 'us-central1-a' },
      },
      {
        provider: createGceProvider({ env: fake.env, pollScale: 0 }),
        home: home.path,
        env: { ...process.env, ...fake.env },
      },
    );
    const { pid } = JSON.parse(readFileSync(join(job.record.jobDir, 'controller.json'), 'utf8')) as {
      pid: number;
    };
    expect(alive(pid)).toBe(true);
    // From now on the fake Compute answers nothing for 10 minutes: the controller's next call hangs.
    fake.compute!.faults.add({ fault: { delayMs: 600_000 } });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(alive(pid)).toBe(true);
    rmSync(job.record.jobDir, { recursive: true, force: true });
    await waitFor(() => !alive(pid), 'the controller to end', 30_000);
  }, 90_000);
});
