/**
 * The cost block `strato explain`, `run` and `submit` print before a launch:
 * where, spot or on-demand, each group of machines × its list price per hour
 * (on-demand and spot), the total of the capacity asked for, and the cap.
 */

import { formatUsd, type MachineGroup, type PlanCost } from '../jobs/plan-cost.ts';
import { indent, table } from './format.ts';

const perHour = (usd: number | undefined) => (usd === undefined ? '?' : `${formatUsd(usd)}/h`);

function groupRow(group: MachineGroup): string[] {
  const each = (usd: number | undefined) =>
    usd === undefined
      ? '-'
      : group.count === 1
        ? perHour(usd)
        : `${perHour(usd)} × ${group.count} = ${perHour(usd * group.count)}`;
  return [
    group.role,
    `${group.count} × ${group.machine}`,
    group.unit ? each(group.unit.onDemandUsd) : `price unknown for ${group.machine}`,
    group.unit ? each(group.unit.spotUsd) : '',
  ];
}

/** The launch in one line, for the confirmation question: `8 × a2-highgpu-1g (spot) at ~$8.80/h`. */
export function launchSummary(cost: PlanCost): string {
  const machines = cost.groups.map((g) => `${g.count} × ${g.machine}`).join(' + ');
  const price = cost.hourlyUsd === undefined ? ' (price unknown)' : ` at ~${perHour(cost.hourlyUsd)}`;
  return `${machines} (${cost.spot ? 'spot' : 'on-demand'})${price}`;
}

/** The block: `Cost:` header, a row per machine group, the total, the cap. */
export function renderCost(cost: PlanCost | undefined): string {
  if (!cost) return 'Cost:     local: no cost (processes on this machine)';
  const where = cost.location ? `${cost.provider} ${cost.location}` : cost.provider;
  const lines = [
    `Cost:     ${where}, ${cost.spot ? 'spot' : 'on-demand'} (list prices per hour, machines only: an estimate)`,
    indent(table([['ROLE', 'MACHINES', 'ON-DEMAND', 'SPOT'], ...cost.groups.map(groupRow)]), 2),
  ];
  if (cost.hourlyUsd === undefined) {
    lines.push(`  total: unknown (price unknown for ${cost.unknown.join(', ') || 'spot capacity'})`);
  } else {
    const other = cost.spot ? cost.onDemandUsd : cost.spotUsd;
    lines.push(
      `  total: ${perHour(cost.hourlyUsd)} ${cost.spot ? 'spot' : 'on-demand'}${other === undefined ? '' : ` (${cost.spot ? 'on-demand' : 'spot'} would be ${perHour(other)})`}`,
    );
  }
  // The table holds us-central1's prices (us-central2's for TPU v4, where it is sold): say so elsewhere.
  if (cost.location && !/^us-central[12]\b/.test(cost.location)) {
    lines.push(`  note:  prices are us-central1's list prices; ${cost.location}'s may differ`);
  }
  if (cost.maxCostUsd !== undefined) {
    const hours = cost.hourlyUsd
      ? ` (about ${formatHours(cost.maxCostUsd / cost.hourlyUsd)} at this rate)`
      : '';
    lines.push(
      `  cap:   scheduling.maxCostUsd = ${cost.maxCostUsd}: cancelled when the estimated spend reaches it${hours}`,
    );
  }
  return lines.join('\n');
}

function formatHours(hours: number): string {
  if (hours >= 1) return `${Number(hours.toFixed(1))} h`;
  const minutes = hours * 60;
  return minutes >= 1 ? `${Math.round(minutes)} min` : `${Math.max(1, Math.round(minutes * 60))} s`;
}
