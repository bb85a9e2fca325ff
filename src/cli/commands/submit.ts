import type { Job } from '../../jobs/job.ts';
import { LaunchDeclined, submit } from '../../jobs/submit.ts';
import { type Command, requirePositionals } from '../command.ts';
import { launchGate } from '../launch-gate.ts';

export const submitCommand: Command = {
  name: 'submit',
  summary: 'Start a job and return at once; it runs detached (follow it with status/logs).',
  usage: 'FILE [--docker] [--resume JOB] [--yes] [--json]',
  description: `
Validates FILE, stages its data, starts the job on its provider and prints the job id.
The job keeps running after this command returns; from any later shell:
  strato status ID    strato logs ID --follow    strato metrics ID    strato cancel ID
Before launching, the cost is shown on stderr, and billable machines (any provider but local,
unless its endpoint is a fake cloud on this machine) start only after "y" on a terminal or with
--yes; with no terminal and no --yes the launch is refused (exit 2); "n" launches nothing (exit 1).`,
  options: {
    resume: {
      type: 'string',
      valueName: 'JOB',
      description:
        "Continue JOB in its run dir, from its checkpoints (else a run dir with another job's work is refused).",
    },
    docker: {
      type: 'boolean',
      description: 'Local provider: run replicas with `docker run` from container.image.',
    },
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'Launch billable machines without asking (required when there is no terminal to ask on).',
    },
    json: { type: 'boolean', description: 'Print {"id", "runDir", "jobDir"} as JSON.' },
  },
  async run(args, io) {
    const [file] = requirePositionals(this, args, 1, 'the spec file to submit');
    let job: Job;
    try {
      job = await submit(file!, {
        env: io.env,
        ...(args.values.docker ? { docker: true } : {}),
        ...(typeof args.values.resume === 'string' ? { resume: args.values.resume } : {}),
        onProgress: (message) => io.err(message),
        confirm: launchGate(io, { yes: Boolean(args.values.yes), command: 'submit' }),
      });
    } catch (error) {
      if (!(error instanceof LaunchDeclined)) throw error;
      io.err(error.message);
      return 1;
    }
    if (args.values.json) {
      io.out(JSON.stringify({ id: job.id, runDir: job.runDir, jobDir: job.record.jobDir }));
    } else {
      io.out(job.id);
      io.err(`submitted ${job.id}; follow it with: strato logs ${job.id} --follow`);
    }
    return 0;
  },
};
