import { refreshJobs } from '../../jobs/refresh.ts';
import type { JobRecord } from '../../jobs/store.ts';
import { contextOf } from '../../jobs/submit.ts';
import type { Command } from '../command.ts';
import { table } from '../format.ts';
import { formatDuration } from '../render-job.ts';

function age(record: JobRecord, now: Date): string {
  return formatDuration(now.getTime() - Date.parse(record.createdAt));
}

export const listCommand: Command = {
  name: 'list',
  summary: 'List jobs, newest first, with their state.',
  usage: '[--json]',
  description: `
Jobs that have not ended are asked for their state again (one batched call per provider where it
can: a single ListCustomJobs for all Vertex jobs), so a job whose runner died shows as FAILED.
A job whose record is damaged is listed as DAMAGED (with whether its processes still run) and
named on stderr with the way out: \`strato cancel --force ID\`, then repair or remove its folder.`,
  options: {
    json: { type: 'boolean', description: 'Print one JSON record per line.' },
  },
  async run(args, io) {
    // One batched status call per provider for the jobs that have not ended (see refreshJobs).
    const { records: stored, damaged } = contextOf({ env: io.env }).store.scan();
    const refreshed = await refreshJobs(stored, { env: io.env });
    const { findJobProcesses } = await import('../../providers/local/job-processes.ts');
    const broken = damaged.map((job) => ({ ...job, running: findJobProcesses(job.jobDir).length }));
    for (const job of broken) {
      const running = job.running > 0 ? ` ${job.running} of its processes still run.` : '';
      io.err(`warning: ${job.problem.message}.${running} ${job.problem.hint ?? ''}`.trimEnd());
    }
    const records = refreshed.map((r) => r.record);
    for (const { record, problem } of refreshed) {
      if (problem) io.err(`warning: ${record.id}: state not refreshed (${problem})`);
    }
    if (args.values.json) {
      for (const record of records) io.out(JSON.stringify(record));
      for (const job of broken) {
        io.out(
          JSON.stringify({
            id: job.id,
            state: 'DAMAGED',
            jobDir: job.jobDir,
            problem: job.problem.message,
            runningProcesses: job.running,
          }),
        );
      }
      return 0;
    }
    if (records.length === 0 && broken.length === 0) {
      io.out('no jobs yet; start one with: strato run templates/quickstart.yaml');
      return 0;
    }
    const now = new Date();
    io.out(
      table([
        ['ID', 'STATE', 'PROVIDER', 'STRATEGY', 'REPLICAS', 'AGE'],
        ...records.map((r) => [r.id, r.state, r.provider, r.strategy, String(r.replicaCount), age(r, now)]),
        ...broken.map((job) => [
          job.id,
          job.running > 0 ? 'DAMAGED (running)' : 'DAMAGED',
          '?',
          '?',
          '?',
          '?',
        ]),
      ]),
    );
    return 0;
  },
};
