/**
 * A local replica's environment: this machine's (PATH, HOME, …) without any
 * cluster variables the user's shell happens to carry, plus exactly what the
 * plan gives the replica — the same variables a cloud replica gets.
 */

/** Variables a strategy or a cloud sets; inherited copies would mislead the trainer. */
const CLUSTER_VARIABLE = /^(TF_CONFIG|CLUSTER_SPEC|AIP_.*|TPU_.*|DTENSOR_.*|STRATO_.*)$/;

export function replicaEnvironment(
  base: NodeJS.ProcessEnv,
  planEnv: Record<string, string>,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value !== undefined && !CLUSTER_VARIABLE.test(name)) env[name] = value;
  }
  return { ...env, ...planEnv };
}
