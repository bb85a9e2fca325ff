/**
 * A replica's resources → Vertex `MachineSpec`: GPUs by their `AcceleratorType`
 * enum name, TPUs as Vertex takes them (v2/v3 as `cloud-tpu` with 8 cores,
 * v5e/v5p/v6e as a TPU VM machine type with a topology). Returns undefined
 * where Vertex has no such machine; pre-flight reports why.
 */

import { findGpuType } from '../../spec/catalog/gpu.ts';
import {
  findVertexTpuShape,
  VERTEX_LEGACY_TPU_CORES,
  VERTEX_LEGACY_TPU_MACHINE,
} from '../../spec/catalog/vertex.ts';
import type { ReplicaResources, ReplicaTpu } from '../../strategies/plan.ts';
import type { DiskSpecBody, MachineSpecBody } from './custom-job-body.ts';

/** Vertex's default boot disk type for training VMs (configure-compute, "Boot disk options"). */
const BOOT_DISK_TYPE = 'pd-ssd';

/** Chips in the one v2/v3 device Vertex offers: 8 TensorCores at 2 per chip. */
const LEGACY_TPU_CHIPS = VERTEX_LEGACY_TPU_CORES / 2;

export function tpuMachineSpec(tpu: ReplicaTpu): MachineSpecBody | undefined {
  if (tpu.generation === 'v2' || tpu.generation === 'v3') {
    if (tpu.chips !== LEGACY_TPU_CHIPS) return undefined;
    return {
      machineType: VERTEX_LEGACY_TPU_MACHINE,
      acceleratorType: tpu.generation === 'v2' ? 'TPU_V2' : 'TPU_V3',
      acceleratorCount: VERTEX_LEGACY_TPU_CORES,
    };
  }
  const shape = findVertexTpuShape(tpu.generation, tpu.topology);
  if (!shape || shape.chips !== tpu.chips) return undefined;
  return { machineType: shape.machineType, tpuTopology: shape.topology };
}

export function machineSpecOf(resources: ReplicaResources): MachineSpecBody | undefined {
  if (resources.tpu) return tpuMachineSpec(resources.tpu);
  if (!resources.machineType) return undefined;
  const spec: MachineSpecBody = { machineType: resources.machineType };
  if (resources.accelerator) {
    const gpu = findGpuType(resources.accelerator.type);
    if (!gpu) return undefined;
    spec.acceleratorType = gpu.vertexName;
    spec.acceleratorCount = resources.accelerator.count;
  }
  return spec;
}

export function diskSpecOf(resources: ReplicaResources): DiskSpecBody | undefined {
  if (resources.diskSizeGb === undefined) return undefined;
  return { bootDiskType: BOOT_DISK_TYPE, bootDiskSizeGb: resources.diskSizeGb };
}
