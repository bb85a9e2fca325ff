import type { Findings } from '../spec/rules.ts';
import type { JobSpec } from '../spec/schema.ts';
import type { CompileContext, ReplicaPlan } from './plan.ts';

/** One tf.distribute strategy's rules. Pure functions of the spec. */
export interface StrategyCompiler {
  /** Problems with the spec under this strategy (errors refuse it, warnings are shown). */
  check(spec: JobSpec): Findings;
  /**
   * The replicas, in order (chief, workers, ps, evaluator), with the env this
   * strategy needs (TF_CONFIG, TPU variables). Env common to every strategy is
   * added by `compile`. Only called when `check` found no errors.
   */
  replicas(spec: JobSpec, ctx: CompileContext): ReplicaPlan[];
  /** Devices training in lock-step: global batch = per-replica batch × this. */
  replicasInSync(spec: JobSpec): number;
}
