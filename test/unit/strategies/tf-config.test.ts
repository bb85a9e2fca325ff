/**
 * TF_CONFIG pinned against the formats TensorFlow and Kubeflow TFJob document:
 * - https://www.tensorflow.org/guide/distributed_training#setting_up_the_tf_config_environment_variable
 * - https://www.tensorflow.org/tutorials/distribute/parameter_server_training (chief, worker, ps; evaluator outside)
 * - https://www.kubeflow.org/docs/components/trainer/legacy-v1/user-guides/tensorflow/ (TFJob's TF_CONFIG)
 */

import { describe, expect, it } from 'vitest';
import { planJob } from '../../../src/jobs/plan-job.ts';
import { parseJobSpec } from '../../../src/spec/load.ts';
import type { JobSpecInput } from '../../../src/spec/schema.ts';
import type { ClusterPlan } from '../../../src/strategies/plan.ts';
import { baseSpec } from '../../support/specs.ts';

const plan = (input: JobSpecInput): ClusterPlan => planJob(parseJobSpec(input));
const tfConfigs = (p: ClusterPlan) => p.replicas.map((r) => r.env.TF_CONFIG);

describe('multi-worker-mirrored TF_CONFIG', () => {
  it('GIVEN two workers THEN each gets the TensorFlow guide format with its own task index', () => {
    const p = plan(
      baseSpec({ name: 'mwm', strategy: 'multi-worker-mirrored', resources: { workers: { replicas: 2 } } }),
    );
    expect(tfConfigs(p)).toEqual([
      '{"cluster":{"worker":["mwm-worker-0:2222","mwm-worker-1:2222"]},"task":{"type":"worker","index":0}}',
      '{"cluster":{"worker":["mwm-worker-0:2222","mwm-worker-1:2222"]},"task":{"type":"worker","index":1}}',
    ]);
  });

  it('GIVEN a chief, workers and an evaluator THEN the chief is task chief:0 and the evaluator stays outside the cluster', () => {
    const p = plan(
      baseSpec({
        name: 'mwm',
        strategy: 'multi-worker-mirrored',
        resources: { chief: {}, workers: { replicas: 2 }, evaluator: {} },
      }),
    );
    const configs = tfConfigs(p).map((c) => JSON.parse(c!));
    const cluster = { chief: ['mwm-chief-0:2222'], worker: ['mwm-worker-0:2222', 'mwm-worker-1:2222'] };
    expect(configs).toEqual([
      { cluster, task: { type: 'chief', index: 0 } },
      { cluster, task: { type: 'worker', index: 0 } },
      { cluster, task: { type: 'worker', index: 1 } },
      { cluster, task: { type: 'evaluator', index: 0 } },
    ]);
    expect(p.replicas.map((r) => [r.name, r.exitPolicy])).toEqual([
      ['chief-0', 'must-succeed'],
      ['worker-0', 'must-succeed'],
      ['worker-1', 'must-succeed'],
      ['evaluator-0', 'runs-until-end'],
    ]);
    expect(p.replicasInSync).toBe(3);
  });
});

describe('parameter-server TF_CONFIG', () => {
  const p = plan(
    baseSpec({
      name: 'ps',
      strategy: 'parameter-server',
      resources: { chief: {}, workers: { replicas: 3 }, ps: { replicas: 2 }, evaluator: {} },
    }),
  );

  it('matches the Kubeflow TFJob document for a ps task (key order aside)', () => {
    // TFJob writes its cluster as {"chief": [...], "ps": [...], "worker": [...]} with task {"type": "ps", "index": 1}.
    const kubeflowStyle = {
      cluster: {
        chief: ['ps-chief-0:2222'],
        ps: ['ps-ps-0:2222', 'ps-ps-1:2222'],
        worker: ['ps-worker-0:2222', 'ps-worker-1:2222', 'ps-worker-2:2222'],
      },
      task: { type: 'ps', index: 1 },
    };
    expect(JSON.parse(p.replicas.find((r) => r.name === 'ps-1')!.env.TF_CONFIG!)).toEqual(kubeflowStyle);
  });

  it('orders cluster keys as TensorFlow does (chief, worker, ps) and gives every replica the same cluster', () => {
    const clusters = new Set(tfConfigs(p).map((c) => JSON.stringify(JSON.parse(c!).cluster)));
    expect([...clusters]).toEqual([
      '{"chief":["ps-chief-0:2222"],"worker":["ps-worker-0:2222","ps-worker-1:2222","ps-worker-2:2222"],"ps":["ps-ps-0:2222","ps-ps-1:2222"]}',
    ]);
  });

  it('keeps the evaluator out of the cluster and in its own task', () => {
    const evaluator = JSON.parse(p.replicas.find((r) => r.role === 'evaluator')!.env.TF_CONFIG!);
    expect(evaluator.task).toEqual({ type: 'evaluator', index: 0 });
    expect(Object.keys(evaluator.cluster)).not.toContain('evaluator');
  });

  it("marks the chief's exit as the end of the job: only the chief must succeed", () => {
    expect(p.replicas.filter((r) => r.exitPolicy === 'must-succeed').map((r) => r.name)).toEqual(['chief-0']);
  });
});

describe('single-machine strategies', () => {
  it('one-device and mirrored get no TF_CONFIG', () => {
    expect(tfConfigs(plan(baseSpec()))).toEqual([undefined]);
  });
});

describe('environment every replica gets', () => {
  it('points AIP_* at model/, checkpoints/ and logs/ under the run dir, as local paths for file://', () => {
    const p = plan(
      baseSpec({ output: 'file:///data/runs/r1', data: [{ source: '/data/mnist', env: 'DATA_DIR' }] }),
    );
    expect(p.replicas[0]!.env).toMatchObject({
      AIP_MODEL_DIR: '/data/runs/r1/model/',
      AIP_CHECKPOINT_DIR: '/data/runs/r1/checkpoints/',
      AIP_TENSORBOARD_LOG_DIR: '/data/runs/r1/logs/',
      DATA_DIR: '/data/runs/r1/data/mnist',
      STRATO_STRATEGY: 'one-device',
      STRATO_ROLE: 'worker',
      STRATO_REPLICA_INDEX: '0',
    });
  });

  it('keeps gs:// URIs as they are', () => {
    const p = plan(baseSpec({ output: 'gs://b/runs/r1/' }));
    expect(p.replicas[0]!.env.AIP_MODEL_DIR).toBe('gs://b/runs/r1/model/');
  });

  it('passes user env through and never lets it shadow what Strato sets', () => {
    const p = plan(baseSpec({ container: { command: ['x'], env: { LR: '0.1' } } }));
    expect(p.replicas[0]!.env.LR).toBe('0.1');
  });
});
