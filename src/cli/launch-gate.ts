/**
 * What `strato run` and `submit` do between compiling a plan and launching
 * it (`SubmitOptions.confirm`): show what it costs, and ask before
 * billable machines start — never for `local` (nothing is shown: it costs
 * nothing) nor for a fake cloud (the provider's endpoint variable points at
 * loopback: the cost is shown, nothing is asked). The question is the one
 * confirmation of the CLI (`confirm.ts`): `--yes` skips it, and with no
 * terminal and no `--yes` the launch is refused, as `infra deploy` does.
 */

import { isBillableLaunch, planCost } from '../jobs/plan-cost.ts';
import type { ClusterPlan } from '../strategies/plan.ts';
import { confirmOnTerminal } from './confirm.ts';
import type { CliIo } from './io.ts';
import { launchSummary, renderCost } from './render-cost.ts';

export function launchGate(
  io: CliIo,
  options: { yes: boolean; command: 'run' | 'submit' },
): (plan: ClusterPlan) => Promise<boolean> {
  return async (plan) => {
    const cost = planCost(plan);
    if (!cost) return true;
    // STRATO_ASK_ON_FAKE_CLOUD=1: ask on a fake cloud too, as on a real one (to try the question; tests).
    const billable = isBillableLaunch(plan.provider.name, io.env) || io.env.STRATO_ASK_ON_FAKE_CLOUD === '1';
    // On stderr, with the other launch messages: stdout stays the job id (submit) or NDJSON (run --json).
    io.err(renderCost(cost));
    if (!billable) {
      // Not billed: the cost is what the same machines would cost on the real cloud.
      io.err('  (the endpoint is a fake cloud on this machine: nothing is billed, nothing asked)');
      return true;
    }
    const launch = launchSummary(cost);
    return confirmOnTerminal(io, {
      yes: options.yes,
      what: `${options.command} starts billable machines (${launch})`,
      command: options.command,
      question: `Launch ${launch}? [y/N] `,
    });
  };
}
