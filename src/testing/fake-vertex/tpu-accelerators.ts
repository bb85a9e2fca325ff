/**
 * The fake's own table of what each TPU VM machine type carries: its
 * accelerator type (Vertex's AcceleratorType enum name) and chips per VM,
 * read off the machine type's name as Vertex names them (`-4t`: 4 chips).
 * A CustomJob may leave the accelerator of a TPU VM machine type unset (the
 * machine type implies it); if it sets one, it must be this type and count.
 * Kept apart from Strato's catalog on purpose: the fake checks the client,
 * it does not share the client's beliefs.
 * (https://cloud.google.com/vertex-ai/docs/training/configure-compute#tpu,
 * https://cloud.google.com/vertex-ai/docs/reference/rest/v1/MachineSpec#AcceleratorType)
 */

export interface TpuVmAccelerator {
  acceleratorType: string;
  chipsPerVm: number;
}

export const TPU_VM_ACCELERATORS: Readonly<Record<string, TpuVmAccelerator>> = {
  'ct4p-hightpu-4t': { acceleratorType: 'TPU_V4_POD', chipsPerVm: 4 },
  'ct5lp-hightpu-1t': { acceleratorType: 'TPU_V5_LITEPOD', chipsPerVm: 1 },
  'ct5lp-hightpu-4t': { acceleratorType: 'TPU_V5_LITEPOD', chipsPerVm: 4 },
  'ct5lp-hightpu-8t': { acceleratorType: 'TPU_V5_LITEPOD', chipsPerVm: 8 },
  'ct5p-hightpu-4t': { acceleratorType: 'TPU_V5P', chipsPerVm: 4 },
  'ct6e-standard-1t': { acceleratorType: 'TPU_V6E', chipsPerVm: 1 },
  'ct6e-standard-4t': { acceleratorType: 'TPU_V6E', chipsPerVm: 4 },
  'ct6e-standard-8t': { acceleratorType: 'TPU_V6E', chipsPerVm: 8 },
};

/** Why a TPU VM machine type's accelerator is refused, or undefined when it is fine (or unset). */
export function tpuVmAcceleratorProblem(
  machineType: string,
  acceleratorType: string | undefined,
  acceleratorCount: number,
): string | undefined {
  const unset = !acceleratorType || acceleratorType === 'ACCELERATOR_TYPE_UNSPECIFIED';
  if (unset && acceleratorCount === 0) return undefined;
  const expected = TPU_VM_ACCELERATORS[machineType];
  if (!expected) return `Machine type "${machineType}" takes no accelerator.`;
  if (acceleratorType !== expected.acceleratorType || acceleratorCount !== expected.chipsPerVm) {
    return `Machine type "${machineType}" comes with ${expected.chipsPerVm} ${expected.acceleratorType}; got ${acceleratorCount} of ${unset ? 'no type' : acceleratorType}.`;
  }
  return undefined;
}
