/** OneDeviceStrategy: one replica on one device (a GPU, or the CPU). */

import type { JobSpec } from '../spec/schema.ts';
import { gpusOf, replicaResources } from './resources.ts';
import { refuseRoles, refuseTpu, replica, singleReplica } from './roles.ts';
import type { StrategyCompiler } from './types.ts';

export const oneDevice: StrategyCompiler = {
  check(spec: JobSpec) {
    const errors = [
      ...refuseRoles(
        spec,
        ['chief', 'ps', 'evaluator'],
        'it trains on one device',
        'remove it, or pick multi-worker-mirrored or parameter-server',
      ),
      ...refuseTpu(spec),
      ...singleReplica(spec, 'set replicas: 1, or use multi-worker-mirrored for several machines'),
    ];
    const gpus = gpusOf(spec.resources.workers);
    if (gpus > 1) {
      errors.push({
        path: 'resources.workers.accelerator.count',
        message: 'one-device uses at most one GPU',
        received: gpus,
        allowed: ['0', '1'],
        fix: 'use strategy: mirrored to train on all GPUs of the machine',
      });
    }
    return { errors, warnings: [] };
  },

  replicas(spec, ctx) {
    return [replica('worker', 0, ctx.addressOf('worker', 0), replicaResources(spec.resources.workers), {})];
  },

  replicasInSync: () => 1,
};
