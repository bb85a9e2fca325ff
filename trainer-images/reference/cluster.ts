/**
 * The cluster as TensorFlow's TFConfigClusterResolver reads it from
 * `TF_CONFIG`: who trains (chief + workers, in that order), which of them
 * this process is, and where the gradient exchange is served (the first
 * training task's address: the chief's, or worker 0's without a chief).
 */

export interface ClusterRole {
  /** `chief`, `worker`, `ps`, `evaluator`, or `worker` when there is no TF_CONFIG. */
  taskType: string;
  taskIndex: number;
  /** Position among the training tasks; -1 for tasks that do not train (ps, evaluator). */
  rank: number;
  /** Number of training tasks. */
  size: number;
  /** `host:port` of rank 0, where the exchange listens; undefined for a single process. */
  exchangeAddress: string | undefined;
  /** Task name as in logs, e.g. `worker-1`. */
  name: string;
}

interface TfConfig {
  cluster?: { chief?: string[]; worker?: string[]; ps?: string[] };
  task?: { type?: string; index?: number };
}

export function clusterFromEnv(env: NodeJS.ProcessEnv): ClusterRole {
  if (!env.TF_CONFIG) {
    return {
      taskType: 'worker',
      taskIndex: 0,
      rank: 0,
      size: 1,
      exchangeAddress: undefined,
      name: 'worker-0',
    };
  }
  const config = JSON.parse(env.TF_CONFIG) as TfConfig;
  const chief = config.cluster?.chief ?? [];
  const workers = config.cluster?.worker ?? [];
  const taskType = config.task?.type ?? 'worker';
  const taskIndex = config.task?.index ?? 0;
  const training = [...chief.map(() => 'chief'), ...workers.map(() => 'worker')];
  let rank = -1;
  if (taskType === 'chief') rank = taskIndex;
  else if (taskType === 'worker') rank = chief.length + taskIndex;
  const size = training.length;
  return {
    taskType,
    taskIndex,
    rank,
    size,
    exchangeAddress: size > 1 ? (chief[0] ?? workers[0]) : undefined,
    name: `${taskType}-${taskIndex}`,
  };
}
