/** MirroredStrategy: one machine, a replica per GPU, all-reduce over NCCL. */

import type { JobSpec } from '../spec/schema.ts';
import { gpusOf, replicaResources } from './resources.ts';
import { refuseRoles, refuseTpu, replica, singleReplica } from './roles.ts';
import type { StrategyCompiler } from './types.ts';

export const mirrored: StrategyCompiler = {
  check(spec: JobSpec) {
    const errors = [
      ...refuseRoles(
        spec,
        ['chief', 'ps', 'evaluator'],
        'it trains on the GPUs of one machine',
        'remove it, or pick multi-worker-mirrored or parameter-server',
      ),
      ...refuseTpu(spec),
      ...singleReplica(spec, 'set replicas: 1, or use multi-worker-mirrored to span machines'),
    ];
    const warnings = [];
    const gpus = gpusOf(spec.resources.workers);
    if (gpus === 0) {
      errors.push({
        path: 'resources.workers.accelerator',
        message: 'mirrored needs at least one GPU',
        received: spec.resources.workers?.accelerator,
        fix: 'add e.g. accelerator: {type: nvidia-tesla-t4, count: 4}, or use strategy: one-device on a CPU',
      });
    } else if (gpus === 1) {
      warnings.push({
        path: 'resources.workers.accelerator.count',
        message: 'mirrored over a single GPU does what one-device does, with more overhead',
        received: gpus,
        fix: 'use strategy: one-device, or more GPUs',
      });
    }
    return { errors, warnings };
  },

  replicas(spec, ctx) {
    return [replica('worker', 0, ctx.addressOf('worker', 0), replicaResources(spec.resources.workers), {})];
  },

  replicasInSync: (spec) => gpusOf(spec.resources.workers),
};
