/** Staging a job's data before submit: push, copy or leave alone, and the region warning. */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planJob } from '../../../src/jobs/plan-job.ts';
import { regionOfPlan, stageJobData } from '../../../src/jobs/stage-data.ts';
import { parseJobSpec } from '../../../src/spec/load.ts';
import { type FakeGcs, startFakeGcs } from '../../../src/testing/index.ts';
import { tpuSpec, vertexSpec } from '../../support/specs.ts';

let fake: FakeGcs;
let work: string;

beforeAll(async () => {
  fake = await startFakeGcs({
    buckets: [
      { name: 'data-central', location: 'US-CENTRAL1' },
      { name: 'data-europe', location: 'EUROPE-WEST4' },
      { name: 'data-multi', location: 'US' },
    ],
  });
  work = mkdtempSync(join(tmpdir(), 'strato-stage-'));
  mkdirSync(join(work, 'images'));
  writeFileSync(join(work, 'images/1.jpg'), 'jpeg bytes');
  writeFileSync(join(work, 'labels.csv'), 'a,b\n');
});
afterAll(async () => {
  await fake.close();
  rmSync(work, { recursive: true, force: true });
});

const options = () => ({ gcs: { apiEndpoint: fake.endpoint }, cacheDir: join(work, 'cache') });

function vertexPlan(data: { source: string; destination?: string; env: string }[]) {
  const spec = parseJobSpec(
    vertexSpec({
      output: 'gs://data-central/runs/job',
      resources: { workers: { machineType: 'n1-standard-8' } },
      data,
    }),
  );
  return planJob(spec, { baseDir: work });
}

describe('stageJobData', () => {
  it('pushes local sources to their destinations, which the replicas get through their env var', async () => {
    const plan = vertexPlan([
      { source: 'images', env: 'IMAGES_DIR' },
      { source: 'labels.csv', destination: 'gs://data-central/shared/labels.csv', env: 'LABELS' },
    ]);
    expect(plan.replicas[0]!.env.IMAGES_DIR).toBe('gs://data-central/runs/job/data/images');
    const result = await stageJobData(plan, options());
    expect(result.warnings).toEqual([]);
    expect(result.staged.map((s) => s.summary?.uploaded)).toEqual([1, 1]);
    expect(fake.state.findObject('data-central', 'runs/job/data/images/1.jpg')?.size).toBe(10);
    expect(fake.state.findObject('data-central', 'shared/labels.csv')?.size).toBe(4);
  });

  it('leaves a source that already is its destination alone, and copies one that is elsewhere', async () => {
    await stageJobData(
      vertexPlan([{ source: 'images', destination: 'gs://data-central/in-place', env: 'A' }]),
      options(),
    );
    const result = await stageJobData(
      vertexPlan([
        { source: 'gs://data-central/in-place', destination: 'gs://data-central/in-place/', env: 'A' },
        { source: 'gs://data-central/in-place', destination: 'gs://data-central/copied', env: 'B' },
      ]),
      options(),
    );
    expect(result.staged[0]!.summary).toBeUndefined();
    expect(result.staged[1]!.summary).toMatchObject({ uploaded: 1 });
    expect(fake.state.findObject('data-central', 'copied/1.jpg')?.crc32c).toBe(
      fake.state.findObject('data-central', 'in-place/1.jpg')?.crc32c,
    );
  });

  it('warns once per bucket that is not in the job region, naming both', async () => {
    const result = await stageJobData(
      vertexPlan([
        { source: 'images', destination: 'gs://data-europe/a', env: 'A' },
        { source: 'labels.csv', destination: 'gs://data-europe/b.csv', env: 'B' },
        { source: 'labels.csv', destination: 'gs://data-multi/c.csv', env: 'C' },
      ]),
      options(),
    );
    expect(result.warnings).toHaveLength(2);
    expect(result.warnings[0]).toMatch(
      /gs:\/\/data-europe is in EUROPE-WEST4 but the job runs in us-central1/,
    );
    expect(result.warnings[1]).toMatch(/gs:\/\/data-multi is in US \(multi-region\)/);
  });

  it('takes the region of a TPU VM job from its zone', () => {
    const plan = planJob(parseJobSpec(tpuSpec('v4-8', 'tpu-vm-tf-2.16.1-pjrt')), { baseDir: work });
    expect(regionOfPlan(plan)).toBe('us-central2');
  });

  it('fails clearly, before writing, when a data bucket does not exist', async () => {
    const before = fake.counters.objectsCreated;
    await expect(
      stageJobData(
        vertexPlan([{ source: 'images', destination: 'gs://no-such-data/x', env: 'A' }]),
        options(),
      ),
    ).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
    expect(fake.counters.objectsCreated).toBe(before);
  });
});
