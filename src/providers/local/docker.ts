/**
 * `--docker`: run each replica with `docker run` from the plan's image, with
 * the same environment, on the host network (so the loopback addresses in
 * TF_CONFIG work unchanged) and with the run dir and data mounted at the
 * same paths, so the paths in AIP_* variables are valid inside too.
 */

import { spawnSync } from 'node:child_process';
import { StratoError } from '../../errors.ts';
import type { ClusterPlan, ReplicaPlan } from '../../strategies/plan.ts';
import { defaultTrainerPath } from '../../strategies/run-dir.ts';

/** Name of a replica's container, so it can be removed if the `docker run` client dies. */
export function containerName(jobId: string, replica: string): string {
  return `strato-${jobId}-${replica}`;
}

/** The `docker run …` command line for one replica. */
export function dockerRunCommand(jobId: string, plan: ClusterPlan, replica: ReplicaPlan): string[] {
  if (!plan.image) {
    throw new StratoError('E_SPEC_INVALID', '--docker needs container.image in the spec', {
      hint: 'set container.image, or run without --docker',
    });
  }
  const mounts = new Set<string>();
  for (const uri of [plan.runDir.root, ...plan.data.map((d) => d.destination)]) {
    if (uri.startsWith('file://')) mounts.add(defaultTrainerPath(uri).replace(/\/+$/, ''));
  }
  const args = [
    'docker',
    'run',
    '--rm',
    // tini as PID 1 forwards SIGTERM to the trainer and reaps its children.
    '--init',
    '--name',
    containerName(jobId, replica.name),
    '--network',
    'host',
    ...[...mounts].flatMap((path) => ['--volume', `${path}:${path}`]),
    ...Object.entries(replica.env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
  ];
  // Locally workingDir is relative to the spec file; only an absolute one means a path in the image.
  if (plan.workingDir?.startsWith('/')) args.push('--workdir', plan.workingDir);
  if (plan.command) args.push('--entrypoint', plan.command[0]!);
  args.push(plan.image, ...(plan.command?.slice(1) ?? []), ...plan.args);
  return args;
}

/** True when a Docker engine answers (`docker info`), within a few seconds. */
export function dockerEngineAnswers(): boolean {
  const result = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], {
    stdio: 'ignore',
    timeout: 5_000,
  });
  return result.status === 0;
}

/** Best-effort removal of a replica's container (its `docker run` client may have been killed). */
export function removeContainer(jobId: string, replica: string): void {
  spawnSync('docker', ['rm', '--force', containerName(jobId, replica)], { stdio: 'ignore', timeout: 10_000 });
}
