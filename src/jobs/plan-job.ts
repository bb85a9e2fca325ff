/**
 * Spec → plan for a given provider, with every check in one pass: the
 * provider-fit check (capabilities) and the compiler's catalog and strategy
 * rules. Used by validate, explain and submit alike.
 */

import { join } from 'node:path';
import { SpecError, type SpecIssue } from '../errors.ts';
import { stratoHome } from '../internal/home.ts';
import { absoluteUri } from '../internal/uri.ts';
import { checkProviderFit } from '../providers/capabilities.ts';
import { preflightPlan } from '../providers/preflight.ts';
import type { JobSpec } from '../spec/schema.ts';
import { compile } from '../strategies/compile.ts';
import { type ClusterPlan, type CompileContext, defaultAddressOf } from '../strategies/plan.ts';
import { planCost } from './plan-cost.ts';

/** Where relative paths resolve, and the addresses replicas get (defaults fit the provider). */
export interface PlanOptions extends Partial<CompileContext> {
  /** Folder of the spec file; relative paths resolve against it. */
  baseDir?: string;
}

/** The run dir a job gets when `output` is not set: `$STRATO_HOME/runs/<job id>`. */
export function defaultRunDir(jobId: string, env: NodeJS.ProcessEnv = process.env): string {
  return `file://${join(stratoHome(env), 'runs', jobId)}`;
}

/**
 * The cluster plan of a parsed spec: every replica with its role, machine
 * and exact environment (`TF_CONFIG`, TPU and DTensor variables, `AIP_*`
 * directories), checked against the provider's rules. Pure: nothing runs.
 * Throws a `SpecError` listing every problem at once.
 */
export function planJob(spec: JobSpec, options: PlanOptions = {}): ClusterPlan {
  const baseDir = options.baseDir ?? process.cwd();
  const fit = checkProviderFit(spec);
  const errors: SpecIssue[] = [...fit.errors];
  let plan: ClusterPlan | undefined;
  try {
    plan = compile(spec, {
      ...options,
      baseDir,
      runDir: options.runDir ?? (spec.output ? absoluteUri(spec.output, baseDir) : defaultRunDir(spec.name)),
      addressOf: options.addressOf ?? defaultAddressOf(spec.name),
    });
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    errors.push(...error.issues);
  }
  if (errors.length > 0 || !plan) throw new SpecError(errors);
  const preflight = preflightPlan(plan);
  if (preflight.errors.length > 0) throw new SpecError(preflight.errors);
  const cap = costCapIssue(plan);
  if (cap && plan.provider.name !== 'local') throw new SpecError([cap]);
  plan.warnings.unshift(...fit.warnings);
  plan.warnings.push(...preflight.warnings, ...(cap ? [cap] : []));
  return plan;
}

/**
 * A cost cap the lifecycle could not keep: on `local` it has nothing to
 * count (a warning); elsewhere every machine needs a price, or the spend
 * cannot be estimated (an error: the cap was asked for as a guarantee).
 */
function costCapIssue(plan: ClusterPlan): SpecIssue | undefined {
  const cap = plan.scheduling.maxCostUsd;
  if (cap === undefined) return undefined;
  const cost = planCost(plan);
  if (!cost) {
    return {
      path: 'scheduling.maxCostUsd',
      message: 'has no effect on the local provider (it costs nothing)',
      received: cap,
    };
  }
  if (cost.hourlyUsd !== undefined) return undefined;
  return {
    path: 'scheduling.maxCostUsd',
    message: `cannot be kept: price unknown for ${cost.unknown.join(', ') || `${cost.spot ? 'spot' : 'on-demand'} capacity of these machines`}`,
    received: cap,
    fix: 'use machine types of the price table (src/spec/catalog/prices.ts), or remove scheduling.maxCostUsd',
  };
}
