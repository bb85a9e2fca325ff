/**
 * Stages a job's `data:` entries before it is submitted: each local source is
 * pushed (only what changed) to its destination, which the compiler already
 * put in the replicas' environment; a source that is already a URI is
 * copied, or left alone when it is the destination. Warns when a data
 * bucket is not in the region where the job runs (slower reads, and
 * cross-region traffic is billed).
 */

import { isUri, parseObjectUri } from '../internal/uri.ts';
import { openObjectStore } from '../storage/open.ts';
import { copyTree } from '../storage/sync/copy-tree.ts';
import {
  type SyncProgress,
  type SyncSummary,
  type UploadDatasetOptions,
  uploadDataset,
} from '../storage/sync/upload-dataset.ts';
import type { ClusterPlan, PlannedData } from '../strategies/plan.ts';

export interface StageDataOptions extends Omit<UploadDatasetOptions, 'onProgress' | 'delete' | 'dryRun'> {
  /** Region the job runs in; default: the plan's (Vertex `region`, or the TPU zone's region). */
  region?: string;
  onProgress?: (entry: PlannedData, progress: SyncProgress) => void;
}

export interface StagedData {
  entry: PlannedData;
  /** What was pushed or copied; undefined when the source already was the destination. */
  summary?: SyncSummary;
}

export interface StageDataResult {
  warnings: string[];
  staged: StagedData[];
}

const sameUri = (a: string, b: string) => a.replace(/\/+$/, '') === b.replace(/\/+$/, '');

/** The region a plan's replicas run in, when the provider has one. */
export function regionOfPlan(plan: Pick<ClusterPlan, 'provider'>): string | undefined {
  const provider = plan.provider;
  if (provider.name === 'vertex') return provider.region;
  // A zone is its region plus a one-letter suffix: us-central2-b is in us-central2.
  if (provider.name === 'tpu-vm') return provider.zone.replace(/-[a-z]$/, '');
  const zone = provider.name === 'gce' ? (provider.zones?.[0] ?? provider.zone) : undefined;
  if (zone) return zone.replace(/-[a-z]$/, '');
  return undefined;
}

export async function stageJobData(
  plan: ClusterPlan,
  options: StageDataOptions = {},
): Promise<StageDataResult> {
  const region = options.region ?? regionOfPlan(plan);
  const warnings = region ? await locationWarnings(plan.data, region, options) : [];
  const staged: StagedData[] = [];
  for (const entry of plan.data) {
    if (isUri(entry.source) && !entry.source.startsWith('file://')) {
      if (sameUri(entry.source, entry.destination)) {
        staged.push({ entry });
        continue;
      }
      staged.push({ entry, summary: await copyTree(entry.source, entry.destination, options) });
      continue;
    }
    const { onProgress, ...rest } = options;
    const summary = await uploadDataset(entry.source, entry.destination, {
      ...rest,
      ...(onProgress ? { onProgress: (progress: SyncProgress) => onProgress(entry, progress) } : {}),
    });
    staged.push({ entry, summary });
  }
  return { warnings, staged };
}

/** One warning per gs:// data bucket whose location is not the job's region. */
async function locationWarnings(
  data: readonly PlannedData[],
  region: string,
  options: StageDataOptions,
): Promise<string[]> {
  const buckets = new Set<string>();
  for (const entry of data) {
    const parsed = parseObjectUri(entry.destination, options.baseDir);
    if (parsed.scheme === 'gs') buckets.add(parsed.bucket);
  }
  const warnings: string[] = [];
  for (const bucket of buckets) {
    const { store } = await openObjectStore(`gs://${bucket}/`, options);
    try {
      const info = await store.findBucket?.();
      const location = info?.location?.toLowerCase();
      if (!info || !location || location === region.toLowerCase()) continue;
      const kind = info.locationType && info.locationType !== 'region' ? ` (${info.locationType})` : '';
      warnings.push(
        `data bucket gs://${bucket} is in ${info.location}${kind} but the job runs in ${region}: ` +
          `reads cross regions (slower, and billed); use a bucket in ${region}`,
      );
    } finally {
      await store.close?.();
    }
  }
  return warnings;
}
