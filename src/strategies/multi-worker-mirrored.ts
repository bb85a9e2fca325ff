/**
 * MultiWorkerMirroredStrategy: synchronous all-reduce across machines. An
 * optional chief is one more worker that also saves checkpoints; every
 * training replica gets TF_CONFIG with the same cluster and its own task.
 */

import type { SpecIssue } from '../errors.ts';
import type { JobSpec } from '../spec/schema.ts';
import type { ReplicaPlan } from './plan.ts';
import { gpusOf, replicaResources } from './resources.ts';
import { refuseRoles, refuseTpu, replica } from './roles.ts';
import { tfCluster, tfConfigJson } from './tf-config.ts';
import type { StrategyCompiler } from './types.ts';

function trainingReplicas(spec: JobSpec): number {
  return (spec.resources.chief ? 1 : 0) + (spec.resources.workers?.replicas ?? 0);
}

export const multiWorkerMirrored: StrategyCompiler = {
  check(spec) {
    const errors: SpecIssue[] = [
      ...refuseRoles(
        spec,
        ['ps'],
        'parameter servers belong to strategy parameter-server',
        'remove resources.ps',
      ),
      ...refuseTpu(spec),
    ];
    if (!spec.resources.workers) {
      errors.push({
        path: 'resources.workers',
        message: 'is required for multi-worker-mirrored',
        fix: 'add resources.workers with replicas: 2 or more',
      });
    } else if (trainingReplicas(spec) < 2) {
      errors.push({
        path: 'resources.workers.replicas',
        message: 'multi-worker-mirrored needs at least 2 training replicas (chief + workers)',
        received: spec.resources.workers.replicas,
        fix: 'set replicas: 2 or more, or use one-device / mirrored on a single machine',
      });
    }
    const { chief, workers } = spec.resources;
    if (chief && workers && gpusOf(chief) !== gpusOf(workers)) {
      errors.push({
        path: 'resources.chief.accelerator',
        message: `the chief trains too and needs as many GPUs as each worker (${gpusOf(workers)})`,
        received: chief.accelerator ?? null,
        fix: 'give the chief the same accelerator as the workers',
      });
    }
    return { errors, warnings: [] };
  },

  replicas(spec, ctx) {
    const { chief, workers, evaluator } = spec.resources;
    const workerCount = workers?.replicas ?? 0;
    const chiefAddresses = chief ? [ctx.addressOf('chief', 0)] : [];
    const workerAddresses = Array.from({ length: workerCount }, (_, i) => ctx.addressOf('worker', i));
    const cluster = tfCluster({ chief: chiefAddresses, worker: workerAddresses });
    const out: ReplicaPlan[] = [];
    if (chief) {
      out.push(
        replica('chief', 0, chiefAddresses[0]!, replicaResources(chief), {
          TF_CONFIG: tfConfigJson(cluster, 'chief', 0),
        }),
      );
    }
    workerAddresses.forEach((address, i) => {
      out.push(
        replica('worker', i, address, replicaResources(workers), {
          TF_CONFIG: tfConfigJson(cluster, 'worker', i),
        }),
      );
    });
    if (evaluator) {
      out.push(
        replica(
          'evaluator',
          0,
          ctx.addressOf('evaluator', 0),
          replicaResources(evaluator),
          {
            TF_CONFIG: tfConfigJson(cluster, 'evaluator', 0),
          },
          { exitPolicy: 'runs-until-end' },
        ),
      );
    }
    return out;
  },

  replicasInSync: (spec) => trainingReplicas(spec) * Math.max(1, gpusOf(spec.resources.workers)),
};
