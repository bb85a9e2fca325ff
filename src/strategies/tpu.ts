/**
 * TPUStrategy. One host: `TPU_NAME=local` and TPUClusterResolver('local').
 * A multi-host slice: TensorFlow's single-client model — the program runs on
 * host 0 with `TPU_NAME` naming the slice, and the other hosts serve the TPU
 * runtime (a `-pod` runtime). With a DTensor mesh every host runs the program
 * as one client. PJRT runtimes need the pluggable-device variables.
 * (https://cloud.google.com/tpu/docs/run-calculation-tensorflow,
 * https://cloud.google.com/tpu/docs/runtimes#pjrt)
 */

import type { SpecIssue } from '../errors.ts';
import { findTpuSlice, tfDevicesInSlice } from '../spec/catalog/tpu.ts';
import { parseTfRuntime } from '../spec/catalog/tpu-runtime.ts';
import type { JobSpec } from '../spec/schema.ts';
import type { ReplicaPlan } from './plan.ts';
import { replicaResources } from './resources.ts';
import { refuseRoles, replica } from './roles.ts';
import type { StrategyCompiler } from './types.ts';

/** Where TPU VM images keep libtpu for TF's PJRT plugin. */
const LIBTPU_PATH = '/lib/libtpu.so';

function tpuEnv(spec: JobSpec, tpuName: string, multiHost: boolean): Record<string, string> {
  const tpu = spec.resources.workers!.tpu!;
  const runtime = parseTfRuntime(tpu.runtimeVersion);
  const env: Record<string, string> = { TPU_NAME: multiHost ? tpuName : 'local' };
  if (runtime?.variant === 'pjrt') {
    env.NEXT_PLUGGABLE_DEVICE_USE_C_API = 'true';
    env.TF_PLUGGABLE_DEVICE_LIBRARY_PATH = LIBTPU_PATH;
  } else if (multiHost) {
    // The client on host 0 talks to the slice's TPU servers; it must not load libtpu itself.
    env.TPU_LOAD_LIBRARY = '0';
  }
  return env;
}

export const tpu: StrategyCompiler = {
  check(spec) {
    const errors: SpecIssue[] = refuseRoles(
      spec,
      ['chief', 'ps', 'evaluator'],
      'a TPU slice runs the whole job',
      'remove it; put the slice under resources.workers.tpu',
    );
    const workers = spec.resources.workers;
    if (!workers?.tpu) {
      errors.push({
        path: 'resources.workers.tpu',
        message: 'is required for strategy tpu',
        fix: 'add resources.workers.tpu: {type: v5litepod-8, runtimeVersion: tpu-vm-tf-2.16.1-pjrt}',
      });
      if (workers?.accelerator) {
        errors.push({
          path: 'resources.workers.accelerator',
          message: 'GPUs are not used by strategy tpu',
          received: workers.accelerator,
          fix: 'remove it, or use mirrored / multi-worker-mirrored for GPUs',
        });
      }
    } else if (workers.replicas !== 1) {
      errors.push({
        path: 'resources.workers.replicas',
        message: 'a tpu job runs on one slice; its hosts come from the slice type',
        received: workers.replicas,
        allowed: ['1'],
        fix: 'remove replicas and pick a bigger slice (e.g. v4-32 has 4 hosts)',
      });
    }
    return { errors, warnings: [] };
  },

  replicas(spec, ctx) {
    const resources = replicaResources(spec.resources.workers);
    const hosts = resources.tpu?.hosts ?? 1;
    const multiHost = hosts > 1;
    const env = tpuEnv(spec, ctx.tpuName ?? spec.name, multiHost);
    const everyHostRuns = spec.mesh !== undefined;
    const out: ReplicaPlan[] = [];
    for (let i = 0; i < hosts; i++) {
      const runs = i === 0 || everyHostRuns;
      out.push(
        replica('tpu-host', i, ctx.addressOf('tpu-host', i), resources, runs ? { ...env } : {}, {
          runsProgram: runs,
          exitPolicy: runs ? 'must-succeed' : 'runs-until-end',
        }),
      );
    }
    return out;
  },

  replicasInSync(spec) {
    const resolved = findTpuSlice(spec.resources.workers?.tpu?.type ?? '');
    return resolved ? tfDevicesInSlice(resolved) : 0;
  },
};
