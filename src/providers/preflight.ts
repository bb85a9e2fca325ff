/**
 * Provider checks of a compiled plan that need no API call (regions, machine
 * types the service offers, pool shapes). Pure functions only: this module
 * must not load any cloud SDK, since `strato validate` runs it.
 */

import type { Findings } from '../spec/rules.ts';
import type { ProviderName } from '../spec/schema.ts';
import type { ClusterPlan } from '../strategies/plan.ts';
import { checkVertexPlan } from './vertex/preflight.ts';

export const PROVIDER_PREFLIGHT: Partial<Record<ProviderName, (plan: ClusterPlan) => Findings>> = {
  vertex: checkVertexPlan,
};

export function preflightPlan(plan: ClusterPlan): Findings {
  return PROVIDER_PREFLIGHT[plan.provider.name]?.(plan) ?? { errors: [], warnings: [] };
}
