/**
 * ParameterServerStrategy (TF2): the chief runs the ClusterCoordinator and the
 * training loop; ps and worker tasks run `tf.distribute.Server(...).join()`
 * and never exit by themselves, so the chief's exit ends the job.
 * (https://www.tensorflow.org/tutorials/distribute/parameter_server_training)
 */

import type { SpecIssue } from '../errors.ts';
import type { ReplicaPlan } from './plan.ts';
import { gpusOf, replicaResources } from './resources.ts';
import { refuseTpu, replica } from './roles.ts';
import { tfCluster, tfConfigJson } from './tf-config.ts';
import type { StrategyCompiler } from './types.ts';

export const parameterServer: StrategyCompiler = {
  check(spec) {
    const errors: SpecIssue[] = [...refuseTpu(spec)];
    const { chief, workers, ps } = spec.resources;
    if (!chief) {
      errors.push({
        path: 'resources.chief',
        message: 'is required: the chief is the coordinator that runs the training loop',
        fix: 'add resources.chief (a CPU machine such as n1-standard-4 is enough)',
      });
    }
    if (!workers) {
      errors.push({
        path: 'resources.workers',
        message: 'is required: at least one worker runs the steps',
        fix: 'add resources.workers with replicas: 1 or more',
      });
    }
    if (!ps) {
      errors.push({
        path: 'resources.ps',
        message: 'is required: at least one parameter server holds the variables',
        fix: 'add resources.ps with replicas: 1 or more',
      });
    }
    return { errors, warnings: [] };
  },

  replicas(spec, ctx) {
    const { chief, workers, ps, evaluator } = spec.resources;
    const chiefAddress = ctx.addressOf('chief', 0);
    const workerAddresses = Array.from({ length: workers?.replicas ?? 0 }, (_, i) =>
      ctx.addressOf('worker', i),
    );
    const psAddresses = Array.from({ length: ps?.replicas ?? 0 }, (_, i) => ctx.addressOf('ps', i));
    const cluster = tfCluster({ chief: [chiefAddress], worker: workerAddresses, ps: psAddresses });
    const server = { exitPolicy: 'runs-until-end' as const };
    const out: ReplicaPlan[] = [
      replica('chief', 0, chiefAddress, replicaResources(chief), {
        TF_CONFIG: tfConfigJson(cluster, 'chief', 0),
      }),
    ];
    workerAddresses.forEach((address, i) => {
      out.push(
        replica(
          'worker',
          i,
          address,
          replicaResources(workers),
          { TF_CONFIG: tfConfigJson(cluster, 'worker', i) },
          server,
        ),
      );
    });
    psAddresses.forEach((address, i) => {
      out.push(
        replica(
          'ps',
          i,
          address,
          replicaResources(ps),
          { TF_CONFIG: tfConfigJson(cluster, 'ps', i) },
          server,
        ),
      );
    });
    if (evaluator) {
      out.push(
        replica(
          'evaluator',
          0,
          ctx.addressOf('evaluator', 0),
          replicaResources(evaluator),
          { TF_CONFIG: tfConfigJson(cluster, 'evaluator', 0) },
          server,
        ),
      );
    }
    return out;
  },

  // Workers step asynchronously; only the devices of one worker are in sync.
  replicasInSync: (spec) => Math.max(1, gpusOf(spec.resources.workers)),
};
