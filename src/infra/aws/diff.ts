/**
 * What a deploy would change: the synthesized template against the deployed
 * one, resource by resource (added, removed, modified with the property
 * paths that differ), plus outputs and parameters. Pure; what `plan` shows.
 */

import type { CfnTemplate } from './synth.ts';

export interface ResourceChange {
  logicalId: string;
  type: string;
  action: 'add' | 'remove' | 'modify';
  /** Property paths that differ, for `modify`, e.g. `LaunchTemplateData.InstanceType`. */
  paths: string[];
}

export interface TemplateDiff {
  resources: ResourceChange[];
  /** Outputs or parameters that differ (these alone still make an update). */
  other: string[];
}

export function diffTemplates(deployed: CfnTemplate | undefined, desired: CfnTemplate): TemplateDiff {
  const before = deployed?.Resources ?? {};
  const after = desired.Resources ?? {};
  const resources: ResourceChange[] = [];
  for (const [id, resource] of Object.entries(after)) {
    const old = before[id];
    if (!old) resources.push({ logicalId: id, type: resource.Type, action: 'add', paths: [] });
    else if (old.Type !== resource.Type) {
      resources.push({ logicalId: id, type: old.Type, action: 'remove', paths: [] });
      resources.push({ logicalId: id, type: resource.Type, action: 'add', paths: [] });
    } else {
      const paths = changedPaths(old, resource, '');
      if (paths.length > 0) resources.push({ logicalId: id, type: resource.Type, action: 'modify', paths });
    }
  }
  for (const [id, resource] of Object.entries(before)) {
    if (!(id in after)) resources.push({ logicalId: id, type: resource.Type, action: 'remove', paths: [] });
  }
  const other: string[] = [];
  for (const section of ['Outputs', 'Parameters', 'Conditions', 'Mappings'] as const) {
    for (const path of changedPaths(deployed?.[section] ?? {}, desired[section] ?? {}, section))
      other.push(path);
  }
  return { resources, other };
}

export function isEmptyDiff(diff: TemplateDiff): boolean {
  return diff.resources.length === 0 && diff.other.length === 0;
}

/** Dotted paths where two JSON values differ; a whole subtree counts once where one side lacks it. */
function changedPaths(a: unknown, b: unknown, prefix: string): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  const bothObjects = isRecord(a) && isRecord(b) && !Array.isArray(a) && !Array.isArray(b);
  if (!bothObjects) return [prefix || '(value)'];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => changedPaths(a[k], b[k], prefix ? `${prefix}.${k}` : k));
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null;
}
