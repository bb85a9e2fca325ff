import { listenForInterrupts } from '../../internal/interrupt.ts';
import { getJob } from '../../jobs/submit.ts';
import { type Command, requirePositionals } from '../command.ts';

/** Output written between waits for standard output to take it: bounds what a slow reader leaves in memory. */
const DRAIN_EVERY_CHARS = 1024 * 1024;

export const logsCommand: Command = {
  name: 'logs',
  summary: "Print a job's replica logs; --follow keeps printing until the job ends.",
  usage: 'ID [--replica NAME] [--follow]',
  description: `
Lines are prefixed with their replica, e.g. [worker-1], unless --replica picks one.
With --follow, new lines appear as the replicas write them; Ctrl-C stops following (not the job).`,
  options: {
    replica: {
      type: 'string',
      short: 'r',
      valueName: 'NAME',
      description: 'Only this replica, e.g. worker-1.',
    },
    follow: { type: 'boolean', short: 'f', description: 'Keep printing until the job ends.' },
  },
  async run(args, io) {
    const [id] = requirePositionals(this, args, 1, 'the job id (see strato list)');
    const job = await getJob(id!, { env: io.env });
    const replica = typeof args.values.replica === 'string' ? args.values.replica : undefined;
    const interrupts = listenForInterrupts();
    let printed = 0;
    try {
      for await (const line of job.logs({
        ...(replica ? { replica } : {}),
        follow: Boolean(args.values.follow),
        signal: interrupts.signal,
      })) {
        io.out(replica ? line.text : `[${line.replica}] ${line.text}`);
        // A slow reader (a pipe) slows the reading down instead of the lines piling up in memory.
        printed += line.text.length;
        if (printed > DRAIN_EVERY_CHARS) {
          printed = 0;
          await io.drain();
        }
      }
    } finally {
      interrupts.release();
    }
    return 0;
  },
};
