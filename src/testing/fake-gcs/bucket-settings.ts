/**
 * Bucket settings the infra engine manages, as the JSON API carries them
 * (https://cloud.google.com/storage/docs/json_api/v1/buckets#resource):
 * `iamConfiguration` (uniform bucket-level access, public access
 * prevention), `versioning`, `lifecycle`. Checked as the service checks
 * them: an unknown lifecycle action, a rule without a condition, or a
 * public access prevention value other than `enforced` / `inherited` is a 400.
 */

import { badRequest } from './errors.ts';

export interface LifecycleRule {
  action: { type: string; storageClass?: string };
  condition: Record<string, unknown>;
}

export interface BucketSettings {
  uniformBucketLevelAccess: boolean;
  publicAccessPrevention: 'enforced' | 'inherited';
  versioning: boolean;
  lifecycle: LifecycleRule[];
}

export interface SettingsBody {
  iamConfiguration?: {
    uniformBucketLevelAccess?: { enabled?: boolean };
    publicAccessPrevention?: string;
  };
  versioning?: { enabled?: boolean } | null;
  lifecycle?: { rule?: LifecycleRule[] } | null;
}

/**
 * What a new bucket has unless its create request says otherwise (uniform
 * access on, as the fake always reported it; a request may turn it off).
 */
export const DEFAULT_SETTINGS: BucketSettings = {
  uniformBucketLevelAccess: true,
  publicAccessPrevention: 'inherited',
  versioning: false,
  lifecycle: [],
};

const ACTIONS = new Set(['Delete', 'SetStorageClass', 'AbortIncompleteMultipartUpload']);
const CONDITIONS = new Set([
  'age',
  'createdBefore',
  'customTimeBefore',
  'daysSinceCustomTime',
  'daysSinceNoncurrentTime',
  'isLive',
  'matchesPrefix',
  'matchesSuffix',
  'matchesStorageClass',
  'noncurrentTimeBefore',
  'numNewerVersions',
]);
/** The service's limit on lifecycle rules per bucket. */
const MAX_RULES = 100;

function checkRule(rule: LifecycleRule, index: number): LifecycleRule {
  if (!rule || typeof rule !== 'object' || !rule.action || !ACTIONS.has(rule.action.type)) {
    throw badRequest(`Invalid argument: lifecycle rule ${index} has an unknown action type`);
  }
  const condition = rule.condition ?? {};
  const keys = Object.keys(condition);
  if (keys.length === 0) throw badRequest(`Invalid argument: lifecycle rule ${index} has no condition`);
  for (const key of keys) {
    if (!CONDITIONS.has(key)) throw badRequest(`Invalid argument: unknown lifecycle condition ${key}`);
  }
  if ('age' in condition && (!Number.isInteger(condition.age) || (condition.age as number) < 0)) {
    throw badRequest('Invalid argument: lifecycle condition age must be a non-negative integer');
  }
  return { action: { ...rule.action }, condition: { ...condition } };
}

/** The settings after a create (from the defaults) or a patch (from the current ones). */
export function applySettings(current: BucketSettings, body: SettingsBody): BucketSettings {
  const next: BucketSettings = { ...current, lifecycle: [...current.lifecycle] };
  const iam = body.iamConfiguration;
  if (iam?.uniformBucketLevelAccess?.enabled !== undefined) {
    next.uniformBucketLevelAccess = Boolean(iam.uniformBucketLevelAccess.enabled);
  }
  if (iam?.publicAccessPrevention !== undefined) {
    // `unspecified` is the service's older name for `inherited`.
    const value = iam.publicAccessPrevention === 'unspecified' ? 'inherited' : iam.publicAccessPrevention;
    if (value !== 'enforced' && value !== 'inherited') {
      throw badRequest(`Invalid argument: publicAccessPrevention ${iam.publicAccessPrevention}`);
    }
    next.publicAccessPrevention = value;
  }
  if (body.versioning !== undefined) next.versioning = body.versioning?.enabled === true;
  if (body.lifecycle !== undefined) {
    const rules = body.lifecycle?.rule ?? [];
    if (!Array.isArray(rules) || rules.length > MAX_RULES) {
      throw badRequest(`Invalid argument: at most ${MAX_RULES} lifecycle rules`);
    }
    next.lifecycle = rules.map(checkRule);
  }
  return next;
}

/** The settings' part of a bucket resource. */
export function settingsResource(settings: BucketSettings | undefined): Record<string, unknown> {
  const s = settings ?? DEFAULT_SETTINGS;
  return {
    iamConfiguration: {
      uniformBucketLevelAccess: { enabled: s.uniformBucketLevelAccess },
      bucketPolicyOnly: { enabled: s.uniformBucketLevelAccess },
      publicAccessPrevention: s.publicAccessPrevention,
    },
    ...(s.versioning ? { versioning: { enabled: true } } : {}),
    ...(s.lifecycle.length > 0 ? { lifecycle: { rule: s.lifecycle } } : {}),
  };
}
