/**
 * GIVEN the fake cloud (Vertex AI + Cloud Storage) WHEN Strato submits a
 * quickstart-like multi-worker job through the real `@google-cloud/aiplatform`
 * client THEN it runs to SUCCEEDED, its replicas get the environment Vertex
 * injects, and the trainer's metrics are read back from gs://.
 */

import { describe, expect, it } from 'vitest';
import {
  BUCKET,
  currentCustomJob,
  readMetrics,
  runToEnd,
  series,
  trainerJob,
  useVertexCloud,
} from '../support/vertex.ts';

const env = useVertexCloud();

describe('Vertex end to end', () => {
  it('runs a quickstart-like multi-worker job to SUCCEEDED with metrics on gs://', async () => {
    const { job, status } = await runToEnd(
      env,
      trainerJob('e2e-quickstart', ['--epochs=3', '--train-examples=1024'], {
        strategy: 'multi-worker-mirrored',
        resources: { workers: { replicas: 2, machineType: 'n1-standard-4' } },
      }),
    );
    expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');
    expect(job.runDir).toBe(`gs://${BUCKET}/runs/e2e-quickstart`);

    // Vertex ran worker 0 as the primary pool and worker 1 in pool 1.
    const run = env.cloud.vertex!.runOf(currentCustomJob(job.record.handle))!;
    expect(run.replicas.map((r) => r.name)).toEqual(['workerpool0-0', 'workerpool1-0']);
    expect(JSON.parse(run.replicas[1]!.env.TF_CONFIG!).task).toMatchObject({ type: 'worker', index: 0 });

    const metrics = await readMetrics(env.cloud, job.runDir);
    expect(metrics[0]?.file).toMatch(/^gs:\/\/strato-e2e\/runs\/e2e-quickstart\/logs\/train\//);
    const loss = series(metrics, 'train', 'epoch_loss');
    expect(loss.map((p) => p.step)).toEqual([0, 1, 2]);
    expect(loss.at(-1)!.value).toBeLessThan(loss[0]!.value);
    expect(series(metrics, 'validation', 'epoch_accuracy')).toHaveLength(3);
  });
});
