/**
 * What each provider can run, declared as data so the one central check below
 * can refuse an unsupported spec before any provider (or cloud SDK) loads,
 * naming the provider that can run it.
 */

import type { SpecIssue } from '../errors.ts';
import type { Findings } from '../spec/rules.ts';
import type { JobSpec, ProviderName } from '../spec/schema.ts';
import { ROLE_NAMES } from '../spec/schema.ts';

/** What a provider can run. */
export interface ProviderCapabilities {
  /** NVIDIA GPUs on replicas. */
  gpu: boolean;
  /** TPU slices; `emulated` runs TPU replicas as CPU processes with the TPU environment. */
  tpu: boolean | 'emulated';
  /** GPU / CPU strategies (everything but `tpu`). */
  nonTpu: boolean;
  /** Spot capacity. */
  spot: boolean;
  /** Replicas run from `container.image`, so it must be set. */
  needsImage: boolean;
  /** Replicas run `container.command` directly, so it must be set. */
  needsCommand: boolean;
  /** Every non-TPU role needs `machineType`. */
  needsMachineType: boolean;
  /** URI schemes the run dir may use. */
  outputSchemes: readonly ('file' | 'gs' | 's3')[];
}

/** What each provider can run (GPUs, TPUs, container images, run-dir schemes), checked before a job is planned. */
export const PROVIDER_CAPABILITIES: Readonly<Record<ProviderName, ProviderCapabilities>> = {
  local: {
    gpu: true,
    tpu: 'emulated',
    nonTpu: true,
    spot: false,
    needsImage: false,
    needsCommand: true,
    needsMachineType: false,
    outputSchemes: ['file', 'gs', 's3'],
  },
  vertex: {
    gpu: true,
    tpu: true,
    nonTpu: true,
    spot: true,
    needsImage: true,
    needsCommand: false,
    needsMachineType: true,
    outputSchemes: ['gs'],
  },
  'tpu-vm': {
    gpu: false,
    tpu: true,
    nonTpu: false,
    spot: true,
    needsImage: true,
    needsCommand: false,
    needsMachineType: false,
    outputSchemes: ['gs'],
  },
  gce: {
    gpu: true,
    tpu: false,
    nonTpu: true,
    spot: true,
    needsImage: true,
    needsCommand: false,
    needsMachineType: true,
    outputSchemes: ['gs'],
  },
  // The instance type (and so the GPUs) comes from the stack's launch template; machineType may name it.
  ec2: {
    gpu: true,
    tpu: false,
    nonTpu: true,
    spot: true,
    needsImage: true,
    needsCommand: false,
    needsMachineType: false,
    outputSchemes: ['s3'],
  },
};

function providersWhere(test: (c: ProviderCapabilities) => boolean): string {
  return Object.entries(PROVIDER_CAPABILITIES)
    .filter(([, c]) => test(c))
    .map(([name]) => name)
    .join(' or ');
}

/** Problems running this spec on its provider, found from the capability table alone. */
export function checkProviderFit(spec: JobSpec): Findings {
  const name = spec.provider.name;
  const caps = PROVIDER_CAPABILITIES[name];
  const errors: SpecIssue[] = [];
  const warnings: SpecIssue[] = [];
  const usesGpu = ROLE_NAMES.some((role) => spec.resources[role]?.accelerator);

  if (spec.strategy === 'tpu' && caps.tpu === false) {
    errors.push({
      path: 'provider.name',
      message: `${name} cannot run TPU jobs`,
      received: name,
      fix: `use provider ${providersWhere((c) => c.tpu === true)}`,
    });
  }
  if (spec.strategy === 'tpu' && caps.tpu === 'emulated') {
    warnings.push({
      path: 'provider.name',
      message: `${name} has no TPUs: replicas run as CPU processes with the TPU environment`,
      received: name,
      fix: 'use provider vertex or tpu-vm to run on real TPUs',
    });
  }
  if (spec.strategy !== 'tpu' && !caps.nonTpu) {
    errors.push({
      path: 'provider.name',
      message: `${name} runs TPU jobs only`,
      received: name,
      fix: `use provider ${providersWhere((c) => c.nonTpu)} for ${spec.strategy}`,
    });
  }
  if (usesGpu && !caps.gpu) {
    errors.push({
      path: 'provider.name',
      message: `${name} has no GPUs`,
      received: name,
      fix: `use provider ${providersWhere((c) => c.gpu)}`,
    });
  }
  if (spec.scheduling.spot && !caps.spot) {
    warnings.push({
      path: 'scheduling.spot',
      message: `${name} has no Spot capacity; ignored`,
      received: true,
    });
  }
  if (caps.needsImage && !spec.container.image) {
    errors.push({
      path: 'container.image',
      message: `is required on ${name}`,
      fix: 'set container.image, e.g. one built from trainer-images/',
    });
  }
  if (caps.needsCommand && !spec.container.command) {
    errors.push({
      path: 'container.command',
      message: `is required on ${name}: replicas run the command directly, not the image entrypoint`,
      fix: 'set container.command, e.g. [python3, train.py]',
    });
  }
  if (caps.needsMachineType && spec.strategy !== 'tpu') {
    for (const role of ROLE_NAMES) {
      const resources = spec.resources[role];
      if (resources && !resources.machineType && !resources.tpu) {
        errors.push({
          path: `resources.${role}.machineType`,
          message: `is required on ${name}`,
          fix: 'set a machine type, e.g. n1-standard-8',
        });
      }
    }
    if (!spec.resources.workers && !spec.resources.chief) {
      errors.push({
        path: 'resources.workers.machineType',
        message: `is required on ${name}`,
        fix: 'add resources.workers with a machine type, e.g. n1-standard-8',
      });
    }
  }
  const outputs = [
    ...(spec.output ? [{ path: 'output', uri: spec.output }] : []),
    ...spec.data.flatMap((d, i) =>
      d.destination ? [{ path: `data[${i}].destination`, uri: d.destination }] : [],
    ),
  ];
  for (const { path, uri } of outputs) {
    const scheme = uri.split(':')[0] as 'file' | 'gs' | 's3';
    if (!caps.outputSchemes.includes(scheme)) {
      errors.push({
        path,
        message: `replicas on ${name} cannot reach ${scheme}:// URIs`,
        received: uri,
        allowed: caps.outputSchemes.map((s) => `${s}://…`),
        fix: `use a ${caps.outputSchemes[0]}:// URI`,
      });
    }
  }
  if (!spec.output && !caps.outputSchemes.includes('file')) {
    errors.push({
      path: 'output',
      message: `is required on ${name}`,
      fix: 'set output: gs://BUCKET/runs/NAME',
    });
  }
  return { errors, warnings };
}
