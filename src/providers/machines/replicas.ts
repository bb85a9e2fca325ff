/**
 * A plan's replicas as a job on machines keeps them in its handle: what each
 * runs (its env), what the job needs from its exit, and whether it runs the
 * program at all (an idle host of a TPU pod slice does not). Plain JSON, so
 * a later attempt, started by another process, launches the same replicas.
 */

import type { ExitPolicy, ReplicaPlan, ReplicaRole } from '../../strategies/plan.ts';

export interface MachineReplica {
  /** `worker-1`, `tpu-host-0`: as in the plan, and the name of its control objects. */
  name: string;
  role: ReplicaRole;
  index: number;
  exitPolicy: ExitPolicy;
  runsProgram: boolean;
  env: Record<string, string>;
}

export function machineReplicasOf(replicas: readonly ReplicaPlan[]): MachineReplica[] {
  return replicas.map((r) => ({
    name: r.name,
    role: r.role,
    index: r.index,
    exitPolicy: r.exitPolicy,
    runsProgram: r.runsProgram,
    env: { ...r.env },
  }));
}

/**
 * Every `host:` in the replicas' env rewritten by `renames` (attempt 1's
 * machine name → attempt n's). Only `name:` with its colon is replaced, so
 * `…-worker-1:` never matches inside `…-worker-10:`.
 */
export function renameHosts(
  env: Record<string, string>,
  renames: ReadonlyMap<string, string>,
): Record<string, string> {
  if (renames.size === 0) return { ...env };
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    let text = value;
    for (const [from, to] of renames) if (from !== to) text = text.split(`${from}:`).join(`${to}:`);
    out[key] = text;
  }
  return out;
}
