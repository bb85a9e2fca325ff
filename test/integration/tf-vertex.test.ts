/**
 * GIVEN the fake cloud (Vertex AI + Cloud Storage) WHEN Strato submits a
 * MultiWorkerMirrored job (chief + 1 worker) running the MNIST example with
 * real TensorFlow THEN it trains from the TF_CONFIG / CLUSTER_SPEC Vertex
 * injects, and its event files, backups and weights land on gs:// of the fake
 * Cloud Storage. TensorFlow's own GCS file system has a fixed endpoint, so the
 * helper stages the gs:// folders locally and uploads them to
 * STORAGE_EMULATOR_HOST (trainer-images/strato_trainer/staging.py).
 */

import { Storage } from '@google-cloud/storage';
import { describe, expect, it } from 'vitest';
import { getTensorflowVenv } from '../support/tensorflow.ts';
import {
  BUCKET,
  currentCustomJob,
  readMetrics,
  runToEnd,
  series,
  useVertexCloud,
} from '../support/vertex.ts';

const venv = getTensorflowVenv();
const env = useVertexCloud();

describe('real TensorFlow on the fake Vertex AI', () => {
  it('a chief and a worker train in sync and write checkpoints and event files to gs://', async () => {
    const name = 'tf-vertex-mwms';
    const { job, status } = await runToEnd(env, {
      apiVersion: 'strato.dev/v1',
      kind: 'Job',
      name,
      strategy: 'multi-worker-mirrored',
      container: {
        image: 'us-docker.pkg.dev/my-project/strato/tensorflow-cpu:2.21.0',
        command: [venv.python, 'trainer-images/examples/mnist/train.py'],
        args: ['--synthetic', '--epochs=2', '--steps-per-epoch=20', '--batch-size=32', '--save=weights'],
        env: { PYTHONPATH: 'trainer-images', TF_CPP_MIN_LOG_LEVEL: '2' },
      },
      resources: {
        chief: { machineType: 'n1-standard-4' },
        workers: { replicas: 1, machineType: 'n1-standard-4' },
      },
      output: `gs://${BUCKET}/runs/${name}`,
      provider: { name: 'vertex', project: 'my-project', region: 'us-central1' },
    });
    expect(status.state, JSON.stringify(status.error)).toBe('SUCCEEDED');

    // Vertex's environment: the chief in pool 0, the worker in pool 1, both with CLUSTER_SPEC.
    const run = env.cloud.vertex!.runOf(currentCustomJob(job.record.handle))!;
    expect(run.replicas.map((r) => r.name)).toEqual(['workerpool0-0', 'workerpool1-0']);
    expect(JSON.parse(run.replicas[0]!.env.TF_CONFIG!).task).toMatchObject({ type: 'chief', index: 0 });
    expect(JSON.parse(run.replicas[1]!.env.CLUSTER_SPEC!).task).toMatchObject({
      type: 'workerpool1',
      index: 0,
    });

    const metrics = await readMetrics(env.cloud, job.runDir);
    expect(metrics[0]?.file).toMatch(new RegExp(`^gs://${BUCKET}/runs/${name}/logs/`));
    const loss = series(metrics, 'train', 'epoch_loss');
    expect(loss.map((p) => p.step)).toEqual([0, 1]);
    expect(loss[1]!.value).toBeLessThan(loss[0]!.value);
    expect(series(metrics, 'train', 'batch_loss').map((p) => p.step)).toEqual(
      Array.from({ length: 40 }, (_, i) => i + 1),
    );

    const storage = new Storage({ apiEndpoint: env.cloud.endpoints.storage!, projectId: 'my-project' });
    const [files] = await storage.bucket(BUCKET).getFiles({ prefix: `runs/${name}/` });
    const names = files.map((f) => f.name);
    expect(names).toContain(`runs/${name}/checkpoints/backup/checkpoint`);
    expect(names.some((n) => n.startsWith(`runs/${name}/checkpoints/backup/epoch-40.`))).toBe(true);
    expect(names).toContain(`runs/${name}/model/model.weights.h5`);
  }, 180_000);
});
