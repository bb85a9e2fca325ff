import { StratoError } from '../../errors.ts';
import { forceCancel } from '../../jobs/force-cancel.ts';
import type { Job } from '../../jobs/job.ts';
import { getJob } from '../../jobs/submit.ts';
import { isTerminalState } from '../../providers/types.ts';
import { type Command, requirePositionals } from '../command.ts';

export const cancelCommand: Command = {
  name: 'cancel',
  summary: 'Stop jobs: SIGTERM to every replica, SIGKILL after the grace period; state CANCELLED.',
  usage: 'ID... [--force] [--json]',
  description: `
Returns once each job has ended. Cancelling a job that already ended does nothing (exit 0).
Every id is looked up first: if any is unknown or its record is damaged, nothing is cancelled
and every such id is named (exit 2), so a typo never stops only part of a list.

--force stops a job whose record or supervisor state is damaged: its processes are found from
its folder (every process writing a log there), not from the records, and stopped; then the
folder can be repaired or removed.`,
  options: {
    json: {
      type: 'boolean',
      description: 'One JSON object per job: {id, state, alreadyEnded} (with --force: {id, state, stopped}).',
    },
    force: {
      type: 'boolean',
      description: 'Stop the job from what is on disk, even when its records are damaged (local jobs).',
    },
  },
  async run(args, io) {
    const ids = requirePositionals(this, args, 1, 'the job id(s) to cancel (see strato list)');
    if (args.values.force) {
      for (const id of ids) {
        const result = await forceCancel(id, { env: io.env });
        if (args.values.json) {
          io.out(JSON.stringify({ id, state: result.state ?? null, stopped: result.stopped }));
          if (!result.state)
            io.err(
              `${id}: its records are damaged (${result.damaged}); remove ${result.jobDir} once you no longer need its logs`,
            );
          continue;
        }
        const processes = `${result.stopped} process${result.stopped === 1 ? '' : 'es'} stopped`;
        if (result.state) io.out(`${id}: ${result.state} (${processes})`);
        else {
          io.out(`${id}: ${processes}`);
          io.err(
            `${id}: its records are damaged (${result.damaged}); remove ${result.jobDir} once you no longer need its logs`,
          );
        }
      }
      return 0;
    }
    // Resolve every id first, so a typo cancels nothing; name every id that fails, not just the first.
    const found = await Promise.allSettled(ids.map((id) => getJob(id, { env: io.env })));
    const failed = found.flatMap((result, i) =>
      result.status === 'rejected' ? [[ids[i]!, result.reason] as const] : [],
    );
    if (failed.length === 1) throw failed[0]![1];
    if (failed.length > 1) {
      const errors = failed.map(([, reason]) => reason as Error);
      const allBadInput = errors.every((e) => e instanceof StratoError && e.exitCode === 2);
      throw new StratoError(
        allBadInput ? 'E_NOT_FOUND' : 'E_CORRUPT',
        `nothing cancelled: ${failed.length} of the ids cannot be used:\n${errors.map((e) => `  ${e.message}`).join('\n')}`,
        { hint: (errors[0] as StratoError).hint ?? 'see `strato list`' },
      );
    }
    for (const job of found.map((result) => (result as PromiseFulfilledResult<Job>).value)) {
      const before = await job.status();
      if (isTerminalState(before.state)) {
        if (args.values.json) io.out(JSON.stringify({ id: job.id, state: before.state, alreadyEnded: true }));
        else io.out(`${job.id} had already ended: ${before.state}`);
        continue;
      }
      const after = await job.cancel('cancelled with strato cancel');
      if (args.values.json) io.out(JSON.stringify({ id: job.id, state: after.state, alreadyEnded: false }));
      else io.out(`${job.id}: ${after.state}`);
    }
    return 0;
  },
};
