/**
 * GIVEN several Vertex jobs on the fake cloud WHEN `strato watch` and
 * `strato list` follow them THEN each tick asks Vertex once for all of them
 * (ListCustomJobs), never once per job (GetCustomJob), and watch exits 0
 * when every job has SUCCEEDED.
 */

import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { submit } from '../../src/jobs/submit.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { trainerJob, useVertexCloud } from '../support/vertex.ts';

const env = useVertexCloud();

/** The trainer job's shape, with a container that only waits 1.5 s. */
const shortJob = (name: string): JobSpecInput =>
  trainerJob(name, [], {
    container: {
      image: 'us-docker.pkg.dev/p/r/short:1',
      command: [process.execPath, '-e', 'setTimeout(() => {}, 1500)'],
    },
  });

describe('watching many Vertex jobs', () => {
  it('batches status into one ListCustomJobs per tick and ends when all jobs have', async () => {
    const jobs = await Promise.all(
      ['watch-a', 'watch-b', 'watch-c'].map((name) => submit(shortJob(name), env.jobs)),
    );
    const calls = env.cloud.vertex!.faults.counts.calls;
    const before = { list: calls.ListCustomJobs ?? 0, get: calls.GetCustomJob ?? 0 };
    const io = bufferIo({ env: { ...process.env, STRATO_HOME: env.home } });

    const code = await main(['watch', '--interval', '0.2'], io);

    expect(code, io.stderr).toBe(0);
    for (const job of jobs) expect(io.stdout).toMatch(new RegExp(`${job.id}  SUCCEEDED`));
    const ticks = (calls.ListCustomJobs ?? 0) - before.list;
    expect(ticks).toBeGreaterThanOrEqual(1);
    expect((calls.GetCustomJob ?? 0) - before.get).toBe(0);

    const listIo = bufferIo({ env: { ...process.env, STRATO_HOME: env.home } });
    expect(await main(['list'], listIo)).toBe(0);
    expect(listIo.stdout.match(/SUCCEEDED\s+vertex/g)).toHaveLength(3);
  }, 60_000);
});
