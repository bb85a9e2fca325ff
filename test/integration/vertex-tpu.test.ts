/**
 * GIVEN the fake cloud WHEN Strato submits a TPU job to Vertex THEN the
 * CustomJob asks for the TPU VM machine type and topology, the slice's host
 * runs as a CPU process with the TPU environment, and the job SUCCEEDS with
 * metrics on gs://.
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
  it('runs a TPU job: the slice as CPU processes with the TPU environment', async () => {
    const { job, status } = await runToEnd(
      env,
      trainerJob('e2e-tpu', ['--epochs=2', '--train-examples=512'], {
        strategy: 'tpu',
        resources: { workers: { tpu: { type: 'v5litepod-8', runtimeVersion: 'tpu-vm-tf-2.16.1-pjrt' } } },
      }),
    );
    expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');
    const customJob = env.cloud.vertex!.service.get(currentCustomJob(job.record.handle));
    expect(customJob.jobSpec?.workerPoolSpecs?.[0]?.machineSpec).toMatchObject({
      machineType: 'ct5lp-hightpu-8t',
      tpuTopology: '2x4',
    });
    const [host] = env.cloud.vertex!.runOf(customJob.name!)!.replicas;
    expect(host!.env).toMatchObject({
      TPU_NAME: 'local',
      TF_PLUGGABLE_DEVICE_LIBRARY_PATH: '/lib/libtpu.so',
      TPU_WORKER_ID: '0',
      STRATO_REPLICAS_IN_SYNC: '8',
    });
    expect(series(await readMetrics(env.cloud, job.runDir), 'train', 'epoch_loss')).toHaveLength(2);
  });
});
