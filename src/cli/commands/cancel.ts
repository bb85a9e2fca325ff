import { getJob } from '../../jobs/submit.ts';
import { isTerminalState } from '../../providers/types.ts';
import { type Command, requirePositionals } from '../command.ts';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Stop jobs: SIGTERM to every replica, SIGKILL after the grace period; state CANCELLED.',
  usage: 'ID...',
  description: `
Returns once each job has ended. Cancelling a job that already ended does nothing (exit 0).`,
  options: {},
  async run(args, io) {
    const ids = requirePositionals(this, args, 1, 'the job id(s) to cancel (see strato list)');
    // Resolve every id first, so a typo cancels nothing.
    const jobs = await Promise.all(ids.map((id) => getJob(id, { env: io.env })));
    for (const job of jobs) {
      const before = await job.status();
      if (isTerminalState(before.state)) {
        io.out(`${job.id} had already ended: ${before.state}`);
        continue;
      }
      const after = await job.cancel('cancelled with strato cancel');
      io.out(`${job.id}: ${after.state}`);
    }
    return 0;
  },
};
