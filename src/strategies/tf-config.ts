/**
 * `TF_CONFIG` exactly as TensorFlow's `TFConfigClusterResolver` reads it:
 * `{"cluster": {"chief": [...], "worker": [...], "ps": [...]}, "task": {"type", "index"}}`.
 * The evaluator is never in `cluster`; it appears only in its own `task`.
 * (https://www.tensorflow.org/guide/distributed_training#TF_CONFIG,
 * https://www.kubeflow.org/docs/components/trainer/legacy-v1/user-guides/tensorflow/)
 */

export type TfTaskType = 'chief' | 'worker' | 'ps' | 'evaluator';

/** Task type to addresses, in task-index order. Only non-empty lists are kept. */
export interface TfCluster {
  chief?: string[];
  worker?: string[];
  ps?: string[];
}

export interface TfConfig {
  cluster: TfCluster;
  task: { type: TfTaskType; index: number };
}

/** Keeps TensorFlow's key order (chief, worker, ps) and drops empty jobs. */
export function tfCluster(jobs: { chief?: string[]; worker?: string[]; ps?: string[] }): TfCluster {
  const cluster: TfCluster = {};
  if (jobs.chief && jobs.chief.length > 0) cluster.chief = jobs.chief;
  if (jobs.worker && jobs.worker.length > 0) cluster.worker = jobs.worker;
  if (jobs.ps && jobs.ps.length > 0) cluster.ps = jobs.ps;
  return cluster;
}

export function tfConfigJson(cluster: TfCluster, type: TfTaskType, index: number): string {
  const config: TfConfig = { cluster, task: { type, index } };
  return JSON.stringify(config);
}
