/**
 * `strato infra deploy` and `destroy`: the plan shown, a confirmation on a
 * terminal (`--yes` skips it; without a terminal `--yes` is required),
 * progress lines while resources are worked on, Ctrl-C stops starting new ones.
 */

import { StratoError } from '../../errors.ts';
import { deployStack, destroyStack, type InfraOptions } from '../../infra/engine.ts';
import type { ActionType, StackPlan } from '../../infra/plan.ts';
import { listenForInterrupts } from '../../internal/interrupt.ts';
import type { ParsedArgs } from '../command.ts';
import { confirmOnTerminal } from '../confirm.ts';
import type { CliIo } from '../io.ts';
import { planCounts, planJson, renderPlan } from './infra-render.ts';

const VERB: Record<'start' | 'done', Record<ActionType, string>> = {
  start: { create: 'creating', update: 'updating', replace: 'replacing', delete: 'deleting', noop: '' },
  done: { create: 'created', update: 'updated', replace: 'replaced', delete: 'deleted', noop: '' },
};

function positiveInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new StratoError('E_USAGE', `--${flag} ${String(value)} is not a positive integer`);
  return n;
}

export async function runApply(
  operation: 'deploy' | 'destroy',
  options: InfraOptions,
  args: ParsedArgs,
  io: CliIo,
): Promise<number> {
  const json = Boolean(args.values.json);
  const yes = Boolean(args.values.yes);
  const interrupts = listenForInterrupts((count) => {
    if (count === 1)
      io.err(
        'interrupted: finishing the resources in flight, starting no new ones (Ctrl-C again to quit at once)',
      );
    else process.exit(130);
  });
  let where = '';
  const parallelism = positiveInt(args.values.parallelism, 'parallelism');
  let total = 0;
  let finished = 0;
  try {
    const outcome = await (operation === 'deploy' ? deployStack : destroyStack)({
      ...options,
      signal: interrupts.signal,
      ...(parallelism ? { parallelism } : {}),
      ...(args.values['no-wait'] ? { noWait: true } : {}),
      onEvent: (event) => {
        if (event.type === 'start') io.err(`  ${event.id}: ${VERB.start[event.action]}…`);
        else if (event.type === 'done')
          io.err(`  ${event.id}: ${VERB.done[event.action]} (${++finished}/${total})`);
        else if (event.type === 'progress')
          io.err(`  ${event.id}: ${event.status}${event.message ? ` ${event.message}` : ''}`);
        else io.err(`  ${event.id}: failed: ${event.error.message}`);
      },
      confirm: async (plan: StackPlan, stateWhere: string) => {
        where = stateWhere;
        total = plan.actions.filter((a) => a.action !== 'noop').length;
        if (!json) io.out(renderPlan(plan, where));
        const counts = planCounts(plan);
        return confirmOnTerminal(io, {
          yes,
          what: `${operation} changes cloud resources`,
          command: operation,
          question: `\n${operation === 'destroy' ? 'Destroy' : 'Apply'} ${counts.create + counts.update + counts.replace + counts.delete} change(s) to stack ${plan.stack}? Only "yes" goes ahead: `,
        });
      },
      onLockTakeover: (holder) =>
        io.err(
          `note: took over the lock of ${holder.operation} by ${holder.who} (pid ${holder.pid}), which is no longer running`,
        ),
    });
    where = outcome.backend.where;
    if (!outcome.plan.hasChanges) {
      if (json) io.out(JSON.stringify({ ...planJson(outcome.plan, where), applied: false }));
      else io.out(renderPlan(outcome.plan, where));
      return 0;
    }
    if (!outcome.confirmed) {
      io.err(`${operation} cancelled: nothing was changed`);
      return 1;
    }
    if (json)
      io.out(
        JSON.stringify({ ...planJson(outcome.plan, where), applied: true, done: outcome.result?.done ?? [] }),
      );
    else
      io.out(
        `\n${operation === 'deploy' ? 'Deployed' : 'Destroyed'}: ${outcome.result?.done.length ?? 0} resource(s) changed (state: ${where}).`,
      );
    return 0;
  } finally {
    interrupts.release();
  }
}
