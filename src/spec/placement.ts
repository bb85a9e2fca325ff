/**
 * Where a job's machines go, checked before anything is created: a `gce`
 * job names one zone or an ordered list of zones (tried in turn on a
 * stockout); a `tpu-vm` job's zone must offer the slice's generation
 * (`catalog/tpu-zones.ts`, from Google's regions-and-zones page).
 */

import type { SpecIssue } from '../errors.ts';
import { findTpuSlice } from './catalog/tpu.ts';
import { TPU_ZONES } from './catalog/tpu-zones.ts';
import type { JobSpec } from './schema.ts';

/** The zones a `gce` job may use, in the order they are tried. */
export function gceZonesOf(provider: { zone?: string | undefined; zones?: string[] | undefined }): string[] {
  return provider.zones ?? (provider.zone ? [provider.zone] : []);
}

export function checkPlacement(spec: JobSpec): SpecIssue[] {
  const provider = spec.provider;
  const issues: SpecIssue[] = [];
  if (provider.name === 'gce') {
    if (provider.zone && provider.zones) {
      issues.push({
        path: 'provider.zones',
        message: 'give zone or zones, not both',
        received: { zone: provider.zone, zones: provider.zones },
        fix: `keep zones: [${[provider.zone, ...provider.zones.filter((z) => z !== provider.zone)].join(', ')}]`,
      });
    } else if (!provider.zone && !provider.zones && !provider.vms) {
      issues.push({
        path: 'provider.zone',
        message: 'is required on gce (or zones, tried in order on a stockout)',
        fix: 'set zone: us-central1-a, or zones: [us-central1-a, us-central1-b]',
      });
    }
    const zones = provider.zones ?? [];
    const repeated = zones.filter((zone, i) => zones.indexOf(zone) !== i);
    if (repeated.length > 0) {
      issues.push({
        path: 'provider.zones',
        message: 'lists a zone twice',
        received: repeated[0],
        fix: 'list each zone once, in the order to try them',
      });
    }
  }
  if (provider.name === 'tpu-vm' && !provider.slice) {
    const resolved = findTpuSlice(spec.resources.workers?.tpu?.type ?? '');
    const offered = resolved ? TPU_ZONES[resolved.generation.id] : undefined;
    if (resolved && offered && !offered.includes(provider.zone)) {
      issues.push({
        path: 'provider.zone',
        message: `does not offer ${resolved.generation.id} TPUs (${resolved.slice.name})`,
        received: provider.zone,
        allowed: offered,
        fix: `use a zone that offers ${resolved.generation.id}, e.g. ${offered[0]} (https://cloud.google.com/tpu/docs/regions-zones)`,
      });
    }
  }
  return issues;
}
