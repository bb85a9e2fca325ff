/**
 * TensorFlow TPU VM runtime versions: `tpu-vm-tf-X.Y.Z[-pod][-pjrt|-se]`.
 *
 * Source: https://cloud.google.com/tpu/docs/runtimes#tensorflow — multi-host
 * slices need the `-pod` variant; from TF 2.15 each version comes as `-pjrt`
 * (the PJRT runtime, recommended) or `-se` (the legacy StreamExecutor one);
 * v5e, v5p and v6e run only with PJRT.
 */

import type { TpuGeneration } from './tpu.ts';

export const TF_RUNTIME_PATTERN = /^tpu-vm-tf-(\d+)\.(\d+)\.(\d+)(-pod)?(-pjrt|-se)?$/;
export const TF_RUNTIME_PATTERN_TEXT = 'tpu-vm-tf-X.Y.Z[-pod][-pjrt|-se]';

/** First TensorFlow version whose runtimes carry `-pjrt` / `-se`. */
const FIRST_PJRT_MINOR = 15;

export interface TfRuntime {
  tfVersion: string;
  major: number;
  minor: number;
  pod: boolean;
  /** `pjrt`, `se`, or undefined for versions before the split. */
  variant: 'pjrt' | 'se' | undefined;
}

export function parseTfRuntime(runtimeVersion: string): TfRuntime | undefined {
  const m = TF_RUNTIME_PATTERN.exec(runtimeVersion);
  if (!m) return undefined;
  return {
    tfVersion: `${m[1]}.${m[2]}.${m[3]}`,
    major: Number(m[1]),
    minor: Number(m[2]),
    pod: m[4] !== undefined,
    variant: m[5] === '-pjrt' ? 'pjrt' : m[5] === '-se' ? 'se' : undefined,
  };
}

/** The runtime a user most likely wants for a slice, given the version they wrote. */
export function suggestTfRuntime(tfVersion: string, multiHost: boolean): string {
  return `tpu-vm-tf-${tfVersion}${multiHost ? '-pod' : ''}-pjrt`;
}

export interface RuntimeProblem {
  message: string;
  fix: string;
  /** A warning lets the spec through; an error refuses it. */
  severity: 'error' | 'warning';
}

/** What is wrong with a runtime version for this generation and host count. */
export function checkTfRuntime(
  runtimeVersion: string,
  generation: TpuGeneration,
  multiHost: boolean,
): RuntimeProblem[] {
  const runtime = parseTfRuntime(runtimeVersion);
  if (!runtime) {
    return [
      {
        severity: 'error',
        message: `is not a TensorFlow TPU VM runtime (pattern ${TF_RUNTIME_PATTERN_TEXT})`,
        fix: `use e.g. "${suggestTfRuntime('2.16.1', multiHost)}"; Strato runs TensorFlow, so JAX/PyTorch images (v2-alpha-*) do not apply`,
      },
    ];
  }
  const problems: RuntimeProblem[] = [];
  const splitEra = runtime.major > 2 || (runtime.major === 2 && runtime.minor >= FIRST_PJRT_MINOR);
  if (multiHost && !runtime.pod) {
    problems.push({
      severity: 'error',
      message: 'a multi-host slice needs the "-pod" runtime',
      fix: `use "${suggestTfRuntime(runtime.tfVersion, true)}"`,
    });
  }
  if (!multiHost && runtime.pod) {
    problems.push({
      severity: 'error',
      message: 'a single-host slice takes the runtime without "-pod"',
      fix: `use "${suggestTfRuntime(runtime.tfVersion, false)}"`,
    });
  }
  if (generation.pjrtOnly && runtime.variant !== 'pjrt') {
    problems.push({
      severity: 'error',
      message: `TPU ${generation.id} runs TensorFlow only with a PJRT runtime (TF 2.15 or later, "-pjrt")`,
      fix: `use "${suggestTfRuntime(splitEra ? runtime.tfVersion : '2.16.1', multiHost)}"`,
    });
  } else if (splitEra && runtime.variant === undefined) {
    problems.push({
      severity: 'warning',
      message: `TF ${runtime.tfVersion} runtimes come as "-pjrt" or "-se"`,
      fix: `use "${suggestTfRuntime(runtime.tfVersion, multiHost)}"`,
    });
  } else if (!splitEra && runtime.variant !== undefined) {
    problems.push({
      severity: 'error',
      message: `"-${runtime.variant}" runtimes start with TF 2.${FIRST_PJRT_MINOR}`,
      fix: `drop the suffix, or use TF 2.${FIRST_PJRT_MINOR} or later`,
    });
  }
  return problems;
}
