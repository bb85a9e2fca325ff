/**
 * What the fake refuses, as the Cloud TPU API does: unknown zones, accelerator
 * types that do not exist or are not offered in the zone, runtime versions
 * the generation does not boot, bad resource ids and labels. Checked against
 * the fake's own tables (`tables.ts`).
 * (https://cloud.google.com/tpu/docs/reference/rest/v2/projects.locations.nodes,
 * https://cloud.google.com/compute/docs/labeling-resources#requirements)
 */

import { ApiError } from './errors.ts';
import {
  acceleratorTypesIn,
  FAKE_ZONES,
  type FakeGeneration,
  findAcceleratorType,
  typeOfConfig,
} from './tables.ts';
import type { NodeJson } from './types.ts';

/** Resource ids: RFC 1035 labels, as node and queued resource ids must be. */
const ID_PATTERN = /^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_KEY = /^[a-z][a-z0-9_-]{0,62}$/;
const LABEL_VALUE = /^[a-z0-9_-]{0,63}$/;

export interface Location {
  project: string;
  zone: string;
  /** `projects/P/locations/Z`. */
  parent: string;
}

/** `projects/P/locations/Z[/...]` → its project and zone; an unknown zone is NOT_FOUND. */
export function locationOf(path: string): Location {
  const match = /^projects\/([^/]+)\/locations\/([^/]+)/.exec(path);
  if (!match) throw new ApiError('INVALID_ARGUMENT', `"${path}" is not projects/*/locations/*`);
  const [, project, zone] = match as unknown as [string, string, string];
  if (!FAKE_ZONES.includes(zone)) {
    throw new ApiError(
      'NOT_FOUND',
      `Location "${zone}" is not found or Cloud TPU is not offered there (project ${project})`,
    );
  }
  return { project, zone, parent: `projects/${project}/locations/${zone}` };
}

export function checkId(id: string | null | undefined, what: string): string {
  if (!id) throw new ApiError('INVALID_ARGUMENT', `${what} is required`);
  if (!ID_PATTERN.test(id)) {
    throw new ApiError(
      'INVALID_ARGUMENT',
      `${what} "${id}" is invalid: it must be 1-63 characters, start with a lowercase letter, and contain only lowercase letters, digits and hyphens, not ending with a hyphen`,
    );
  }
  return id;
}

function checkLabels(labels: Record<string, string> | undefined): void {
  for (const [key, value] of Object.entries(labels ?? {})) {
    if (!LABEL_KEY.test(key)) throw new ApiError('INVALID_ARGUMENT', `Label key "${key}" is invalid`);
    if (typeof value !== 'string' || !LABEL_VALUE.test(value)) {
      throw new ApiError('INVALID_ARGUMENT', `Label value "${value}" of key "${key}" is invalid`);
    }
  }
}

export interface ResolvedNodeType {
  acceleratorType: string;
  generation: FakeGeneration;
  size: number;
}

/**
 * `AcceleratorConfig.Type` numbers: the client libraries' REST transport sends
 * enums as numbers (`$alt=json;enum-encoding=int`), gcloud as names.
 */
const CONFIG_TYPE_NAMES: Record<number, string> = {
  2: 'V2',
  4: 'V3',
  7: 'V4',
  9: 'V5LITE_POD',
  10: 'V5P',
  11: 'V6E',
};

/**
 * Checks a node to create in `zone`; returns its accelerator type resolved.
 * Rewrites a numeric `acceleratorConfig.type` to its name in place, so what
 * the fake stores reads the same whichever client sent it.
 */
export function checkNode(node: NodeJson | undefined, zone: string): ResolvedNodeType {
  if (!node) throw new ApiError('INVALID_ARGUMENT', 'node is required');
  const configType = node.acceleratorConfig?.type as unknown;
  if (typeof configType === 'number')
    node.acceleratorConfig!.type = CONFIG_TYPE_NAMES[configType] ?? String(configType);
  if (node.acceleratorType && node.acceleratorConfig) {
    throw new ApiError('INVALID_ARGUMENT', 'Only one of accelerator_type and accelerator_config may be set');
  }
  let acceleratorType: string;
  if (node.acceleratorConfig) {
    const { type, topology } = node.acceleratorConfig;
    const resolved = typeOfConfig(String(type), String(topology));
    if (!resolved) {
      throw new ApiError(
        'INVALID_ARGUMENT',
        `Accelerator config type ${type} with topology "${topology}" is not a valid TPU configuration`,
      );
    }
    acceleratorType = resolved;
  } else if (node.acceleratorType) {
    acceleratorType = node.acceleratorType;
  } else {
    throw new ApiError('INVALID_ARGUMENT', 'One of accelerator_type or accelerator_config is required');
  }
  const found = findAcceleratorType(acceleratorType);
  if (!found) throw new ApiError('INVALID_ARGUMENT', `Accelerator type "${acceleratorType}" does not exist`);
  if (!acceleratorTypesIn(zone).includes(acceleratorType)) {
    throw new ApiError(
      'INVALID_ARGUMENT',
      `Accelerator type "${acceleratorType}" is not available in zone "${zone}"; it is offered in ${found.generation.zones.join(', ')}`,
    );
  }
  if (!node.runtimeVersion) throw new ApiError('INVALID_ARGUMENT', 'runtime_version is required');
  if (!found.generation.runtimes.includes(node.runtimeVersion)) {
    throw new ApiError(
      'INVALID_ARGUMENT',
      `Runtime version "${node.runtimeVersion}" is not supported for accelerator type "${acceleratorType}"`,
    );
  }
  checkLabels(node.labels);
  const scheduling = node.schedulingConfig;
  if (scheduling?.spot && scheduling.reserved) {
    throw new ApiError('INVALID_ARGUMENT', 'A node cannot be both spot and reserved');
  }
  return { acceleratorType, generation: found.generation, size: found.size };
}

export { checkLabels };
