/**
 * GIVEN the fake cloud WHEN Strato submits a parameter-server job (chief,
 * workers, parameter servers, evaluator) to Vertex THEN every pool runs, the
 * evaluator stays outside the TF cluster, and the job SUCCEEDS with metrics
 * on gs://.
 */

import { describe, expect, it } from 'vitest';
import {
  currentCustomJob,
  readMetrics,
  runToEnd,
  series,
  trainerJob,
  useVertexCloud,
} from '../support/vertex.ts';

const env = useVertexCloud();

describe('Vertex end to end', () => {
  it('runs a parameter-server job (chief, workers, ps, evaluator) to SUCCEEDED', async () => {
    const { job, status } = await runToEnd(
      env,
      trainerJob('e2e-parameter-server', ['--epochs=2', '--train-examples=512'], {
        strategy: 'parameter-server',
        resources: {
          chief: { machineType: 'n1-standard-4' },
          workers: {
            replicas: 2,
            machineType: 'n1-standard-8',
            accelerator: { type: 'nvidia-tesla-t4', count: 1 },
          },
          ps: { replicas: 1, machineType: 'n1-highmem-8' },
          evaluator: { machineType: 'n1-standard-4' },
        },
      }),
    );
    expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');
    expect(status.replicas.map((r) => r.name)).toEqual([
      'workerpool0-0',
      'workerpool1-0',
      'workerpool1-1',
      'workerpool2-0',
      'workerpool3-0',
    ]);
    const run = env.cloud.vertex!.runOf(currentCustomJob(job.record.handle))!;
    const evaluator = JSON.parse(run.replicas[4]!.env.TF_CONFIG!);
    expect(evaluator.task.type).toBe('evaluator');
    expect(Object.keys(evaluator.cluster)).toEqual(['chief', 'worker', 'ps']);
    expect(series(await readMetrics(env.cloud, job.runDir), 'train', 'epoch_loss')).toHaveLength(2);
  });
});
