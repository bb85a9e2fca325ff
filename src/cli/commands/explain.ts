import { formatSpecIssue, SpecError, toStratoError } from '../../errors.ts';
import { planCost } from '../../jobs/plan-cost.ts';
import { planJob } from '../../jobs/plan-job.ts';
import { loadJobSpecFile } from '../../spec/load.ts';
import type { ClusterPlan, ReplicaPlan } from '../../strategies/plan.ts';
import { type Command, requirePositionals } from '../command.ts';
import { indent, table } from '../format.ts';
import { renderCost } from '../render-cost.ts';

function machineOf(replica: ReplicaPlan): string {
  const { tpu, machineType } = replica.resources;
  if (tpu) return `TPU ${tpu.type} (${tpu.topology})`;
  return machineType ?? '-';
}

function acceleratorsOf(replica: ReplicaPlan): string {
  const { tpu, accelerator } = replica.resources;
  if (tpu) return `${tpu.chips / tpu.hosts} chips of ${tpu.chips}`;
  return accelerator ? `${accelerator.count} × ${accelerator.type}` : '-';
}

function runsOf(replica: ReplicaPlan): string {
  if (!replica.runsProgram) return 'TPU runtime only';
  return replica.exitPolicy === 'must-succeed' ? 'program (must succeed)' : 'program (until job ends)';
}

function renderEnvValue(name: string, value: string): string {
  if (name === 'TF_CONFIG' || name === 'STRATO_MESH') {
    const pretty = JSON.stringify(JSON.parse(value), null, 2);
    return `${name} =\n${indent(pretty, 4)}`;
  }
  return `${name} = ${value}`;
}

/**
 * How the global batch relates to what each device gets. With tf.distribute
 * every replica in sync takes a share; with a DTensor mesh only the axis the
 * batch is sharded along splits it (the `batch` axis by the trainer helper's
 * convention), the others split the model.
 */
function batchLines(plan: ClusterPlan): string[] {
  if (!plan.mesh) {
    return [
      `Replicas in sync: ${plan.replicasInSync} (global batch = per-replica batch × ${plan.replicasInSync})`,
    ];
  }
  const dims = Object.entries(plan.mesh);
  const batch = plan.mesh.batch;
  return [
    `Devices:  ${plan.replicasInSync}, as a DTensor mesh ${dims.map(([name, size]) => `${name} ${size}`).join(' × ')}`,
    batch === undefined
      ? 'Data parallel: 1 (the mesh has no "batch" axis: every device sees the whole batch)'
      : `Data parallel: ${batch} (global batch = per-shard batch × ${batch}, along the mesh's "batch" axis)`,
  ];
}

/**
 * The machine providers name their machines after the job's id and attempt, which exist only once the job
 * is submitted: the HOST column and TF_CONFIG above use the spec's name, so say what replaces them.
 */
function runtimeNamesNote(plan: ClusterPlan): string | undefined {
  if (plan.provider.name === 'gce')
    return 'Hosts at run time: each replica runs on VM strato-<job id>-a<attempt>-<replica>, the name TF_CONFIG then holds.';
  if (plan.provider.name === 'tpu-vm')
    return 'Hosts at run time: the slice is queued resource and node strato-<job id>-<attempt>, which TPU_NAME then names.';
  return undefined;
}

export function renderPlan(plan: ClusterPlan): string {
  const lines = [
    `Job ${plan.jobName}: ${plan.strategy}${plan.mesh ? ` with mesh ${JSON.stringify(plan.mesh)}` : ''} on ${plan.provider.name}`,
    `Image:    ${plan.image ?? '(none: runs the command directly)'}`,
    `Command:  ${[...(plan.command ?? ['(image entrypoint)']), ...plan.args].join(' ')}`,
    `Run dir:  ${plan.runDir.root}`,
    ...batchLines(plan),
    '',
    renderCost(planCost(plan)),
    '',
    table([
      ['ROLE', 'INDEX', 'MACHINE', 'ACCELERATORS', 'HOST', 'RUNS'],
      ...plan.replicas.map((r) => [
        r.role,
        String(r.index),
        machineOf(r),
        acceleratorsOf(r),
        r.address,
        runsOf(r),
      ]),
    ]),
  ];
  const runtimeNames = runtimeNamesNote(plan);
  if (runtimeNames) lines.push('', runtimeNames);
  for (const data of plan.data)
    lines.push('', `Data: ${data.source} → ${data.destination} (as $${data.env})`);
  for (const replica of plan.replicas) {
    lines.push('', `${replica.name}:`);
    const entries = Object.entries(replica.env);
    if (entries.length === 0) lines.push('  (runs nothing of the job)');
    for (const [name, value] of entries) lines.push(indent(renderEnvValue(name, value), 2));
  }
  for (const warning of plan.warnings) lines.push('', `warning: ${formatSpecIssue(warning)}`);
  return lines.join('\n');
}

export const explainCommand: Command = {
  name: 'explain',
  summary: 'Print the cluster plan of a job spec: every replica, its machine and exact environment.',
  usage: 'FILE [--json]',
  description: `
Shows the replica table (role, index, machine, accelerators, host), each replica's environment
with TF_CONFIG pretty-printed, and how many replicas train in sync (for the global batch size;
with a DTensor mesh, the size of its "batch" axis).
The cost block shows the region or zone, spot or on-demand, each group of machines × its list
price per hour (on-demand and spot), the total per hour, and scheduling.maxCostUsd when set;
a machine the price table does not know is named ("price unknown for …"), never guessed.
Nothing is submitted; cloud providers' host names are shown as they would be on the cloud (port 2222);
gce and tpu-vm name their machines after the job id and attempt, as the line under the table says.`,
  options: {
    json: {
      type: 'boolean',
      description:
        'Print the plan as one JSON object ({replicas: [{role, index, env, …}], …, cost: {hourlyUsd, groups, …} or null on local}).',
    },
  },
  async run(args, io) {
    const [file] = requirePositionals(this, args, 1, 'the spec file to explain');
    if (!args.values.json) {
      const { spec, baseDir } = await loadJobSpecFile(file!);
      io.out(renderPlan(planJob(spec, { baseDir })));
      return 0;
    }
    // With --json, a bad spec is JSON too (as `validate --json` prints it): scripts parse stdout.
    try {
      const { spec, baseDir } = await loadJobSpecFile(file!);
      const plan = planJob(spec, { baseDir });
      io.out(JSON.stringify({ ...plan, cost: planCost(plan) ?? null }, null, 2));
      return 0;
    } catch (error) {
      const err = toStratoError(error);
      const problems =
        err instanceof SpecError
          ? err.issues
          : [{ path: '', message: err.message, ...(err.hint ? { fix: err.hint } : {}) }];
      io.out(JSON.stringify({ file, valid: false, code: err.code, problems }));
      io.err(`error: ${err.message}`);
      return err.exitCode;
    }
  },
};
