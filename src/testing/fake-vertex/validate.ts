/**
 * What the fake refuses with INVALID_ARGUMENT, as the real JobService does:
 * required fields, pool 0 with exactly one replica, machine types Vertex
 * trains on, GPU type and count pairs each machine takes, TPUs as Vertex
 * offers them (the `cloud-tpu` device, TPU VM machine types with a topology
 * valid for them), labels, the output directory. Messages follow the
 * service's "List of found errors" format, with snake_case field paths.
 */

import { FIXED_GPU_MACHINES, GPU_TYPES, N1_GPU_LIMITS, n1Vcpus } from '../../spec/catalog/gpu.ts';
import {
  isVertexMachineType,
  isVertexRegion,
  VERTEX_LEGACY_TPU_CORES,
  VERTEX_LEGACY_TPU_MACHINE,
  vertexTpuShapesOf,
} from '../../spec/catalog/vertex.ts';
import type { CreateCustomJobRequest, WorkerPoolSpecMessage } from './messages.ts';
import { tpuVmAcceleratorProblem } from './tpu-accelerators.ts';

export interface FieldViolation {
  field: string;
  message: string;
}

const PARENT_PATTERN = /^projects\/([^/]+)\/locations\/([^/]+)$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Resource labels: at most 64 (compute labeling requirements). */
const MAX_LABELS = 64;
/** `display_name` length limit of CustomJob (REST reference: "up to 128 UTF-8 characters"). */
const MAX_DISPLAY_NAME = 128;

const LEGACY_TPU_TYPES = new Set(['TPU_V2', 'TPU_V3']);

function isUnset(value: string | undefined): boolean {
  return value === undefined || value === '' || value === 'ACCELERATOR_TYPE_UNSPECIFIED';
}

function checkGpu(
  path: string,
  machineType: string,
  type: string,
  count: number,
  out: FieldViolation[],
): void {
  const gpu = GPU_TYPES.find((g) => g.vertexName === type);
  if (!gpu) {
    out.push({
      field: `${path}.accelerator_type`,
      message: `Accelerator "${type}" is not supported for training.`,
    });
    return;
  }
  if (count < 1) {
    out.push({ field: `${path}.accelerator_count`, message: 'Accelerator count must be at least 1.' });
    return;
  }
  const fixed = FIXED_GPU_MACHINES.find((m) => m.machineType === machineType);
  if (fixed) {
    if (fixed.gpu !== gpu.id || fixed.count !== count) {
      out.push({
        field: `${path}.accelerator_count`,
        message: `Machine type "${machineType}" requires ${fixed.count} accelerators of type ${GPU_TYPES.find((g) => g.id === fixed.gpu)?.vertexName}, got ${count} of ${type}.`,
      });
    }
    return;
  }
  const limit = machineType.startsWith('n1-') ? N1_GPU_LIMITS[gpu.id]?.[count] : undefined;
  const vcpus = n1Vcpus(machineType);
  if (!limit || vcpus === undefined || vcpus > limit.maxVcpus) {
    out.push({
      field: `${path}.accelerator_count`,
      message: `${count} accelerators of type ${type} are not supported for machine type "${machineType}".`,
    });
  }
}

function checkMachine(
  path: string,
  pool: WorkerPoolSpecMessage,
  poolIndex: number,
  out: FieldViolation[],
): void {
  const spec = pool.machineSpec;
  const machineType = spec?.machineType;
  if (!machineType) {
    out.push({ field: `${path}.machine_type`, message: 'Machine type must be specified.' });
    return;
  }
  const tpuShapes = vertexTpuShapesOf(machineType);
  const isTpuVm = tpuShapes.length > 0;
  const isLegacyTpu = machineType === VERTEX_LEGACY_TPU_MACHINE;
  if (!isTpuVm && !isLegacyTpu && !isVertexMachineType(machineType)) {
    out.push({ field: `${path}.machine_type`, message: `Machine type "${machineType}" is not supported.` });
    return;
  }
  if ((isTpuVm || isLegacyTpu) && poolIndex !== 0) {
    out.push({ field: `${path}.machine_type`, message: 'TPUs are only supported in the first worker pool.' });
  }
  const type = spec?.acceleratorType;
  const count = spec?.acceleratorCount ?? 0;
  if (isLegacyTpu) {
    if (!type || !LEGACY_TPU_TYPES.has(type) || count !== VERTEX_LEGACY_TPU_CORES) {
      out.push({
        field: `${path}.accelerator_type`,
        message: `Machine type "cloud-tpu" requires accelerator type TPU_V2 or TPU_V3 with accelerator count ${VERTEX_LEGACY_TPU_CORES}.`,
      });
    }
    return;
  }
  if (isTpuVm) {
    const acceleratorProblem = tpuVmAcceleratorProblem(machineType, type, count);
    if (acceleratorProblem) out.push({ field: `${path}.accelerator_type`, message: acceleratorProblem });
    const topology = spec?.tpuTopology;
    if (!topology) {
      out.push({
        field: `${path}.tpu_topology`,
        message: `TPU topology must be specified for "${machineType}".`,
      });
    } else if (!tpuShapes.some((s) => s.topology === topology)) {
      out.push({
        field: `${path}.tpu_topology`,
        message: `TPU topology "${topology}" is not supported for machine type "${machineType}". Supported topologies: ${tpuShapes.map((s) => s.topology).join(', ')}.`,
      });
    }
    return;
  }
  if (spec?.tpuTopology) {
    out.push({
      field: `${path}.tpu_topology`,
      message: `Machine type "${machineType}" takes no TPU topology.`,
    });
  }
  if (!isUnset(type)) {
    if (LEGACY_TPU_TYPES.has(type!)) {
      out.push({
        field: `${path}.accelerator_type`,
        message: `Accelerator "${type}" requires machine type "cloud-tpu".`,
      });
    } else {
      checkGpu(path, machineType, type!, count, out);
    }
  } else if (FIXED_GPU_MACHINES.some((m) => m.machineType === machineType)) {
    out.push({
      field: `${path}.accelerator_type`,
      message: `Machine type "${machineType}" requires its accelerator type and count to be specified.`,
    });
  }
}

function checkPool(pool: WorkerPoolSpecMessage, index: number, out: FieldViolation[]): void {
  const path = `job_spec.worker_pool_specs[${index}]`;
  const replicas = Number(pool.replicaCount ?? 0);
  const empty = !pool.machineSpec && !pool.containerSpec && !pool.pythonPackageSpec && replicas === 0;
  if (empty) {
    if (index === 0) out.push({ field: path, message: 'The first worker pool must be specified.' });
    return;
  }
  if (index === 0 && replicas !== 1) {
    out.push({
      field: `${path}.replica_count`,
      message: `The first worker pool must have exactly 1 replica, got ${replicas}.`,
    });
  } else if (replicas < 1) {
    out.push({ field: `${path}.replica_count`, message: 'Replica count must be at least 1.' });
  }
  checkMachine(`${path}.machine_spec`, pool, index, out);
  if (!pool.containerSpec?.imageUri && !pool.pythonPackageSpec) {
    out.push({
      field: `${path}.container_spec.image_uri`,
      message: 'Container image URI must be specified.',
    });
  }
  for (const [i, env] of (pool.containerSpec?.env ?? []).entries()) {
    if (!ENV_NAME.test(env.name ?? '')) {
      out.push({
        field: `${path}.container_spec.env[${i}].name`,
        message: `"${env.name}" is not a valid environment variable name.`,
      });
    }
  }
}

export function validateCreateCustomJob(request: CreateCustomJobRequest): FieldViolation[] {
  const out: FieldViolation[] = [];
  const parent = PARENT_PATTERN.exec(request.parent ?? '');
  if (!parent) {
    out.push({ field: 'parent', message: `"${request.parent}" is not of the form projects/*/locations/*.` });
  } else if (!isVertexRegion(parent[2]!)) {
    out.push({ field: 'parent', message: `Location "${parent[2]}" is not supported.` });
  }
  const job = request.customJob;
  if (!job) return [...out, { field: 'custom_job', message: 'Custom job must be specified.' }];
  if (!job.displayName)
    out.push({ field: 'custom_job.display_name', message: 'Display name must be specified.' });
  else if ([...job.displayName].length > MAX_DISPLAY_NAME) {
    out.push({
      field: 'custom_job.display_name',
      message: `Display name is longer than ${MAX_DISPLAY_NAME}.`,
    });
  }
  const pools = job.jobSpec?.workerPoolSpecs ?? [];
  if (pools.length === 0) {
    out.push({ field: 'job_spec.worker_pool_specs', message: 'At least one worker pool must be specified.' });
  }
  for (const [index, pool] of pools.entries()) checkPool(pool, index, out);
  const labels = Object.entries(job.labels ?? {});
  if (labels.length > MAX_LABELS) {
    out.push({ field: 'custom_job.labels', message: `At most ${MAX_LABELS} labels are allowed.` });
  }
  for (const [key, value] of labels) {
    if (!LABEL_KEY.test(key) || !LABEL_VALUE.test(value)) {
      out.push({ field: `custom_job.labels[${key}]`, message: `Label "${key}": "${value}" is not valid.` });
    }
  }
  const output = job.jobSpec?.baseOutputDirectory?.outputUriPrefix;
  if (output !== undefined && !output.startsWith('gs://')) {
    out.push({
      field: 'job_spec.base_output_directory.output_uri_prefix',
      message: `"${output}" is not a Cloud Storage URI (gs://).`,
    });
  }
  const scheduling = job.jobSpec?.scheduling;
  if (scheduling?.timeout && Number(scheduling.timeout.seconds ?? 0) <= 0) {
    out.push({ field: 'job_spec.scheduling.timeout', message: 'Timeout must be positive.' });
  }
  if (scheduling?.maxWaitDuration && scheduling.strategy !== 'FLEX_START') {
    out.push({
      field: 'job_spec.scheduling.max_wait_duration',
      message: 'Max wait duration applies to the FLEX_START strategy only.',
    });
  }
  return out;
}

/** The service's wording for INVALID_ARGUMENT with field violations. */
export function formatViolations(violations: readonly FieldViolation[]): string {
  const items = violations.map((v, i) => `${i + 1}.Field: ${v.field}; Message: ${v.message}`);
  return `List of found errors:\t${items.join('\t')}\t`;
}
