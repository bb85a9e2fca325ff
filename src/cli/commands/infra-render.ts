/** How `strato infra` prints a plan, a state and outputs: text for people, JSON for scripts. */

import { describeValue } from '../../errors.ts';
import type { PlannedAction, StackPlan } from '../../infra/plan.ts';
import type { StackState } from '../../infra/state.ts';
import type { FieldChange } from '../../infra/types.ts';
import { table } from '../format.ts';

const SYMBOL: Record<PlannedAction['action'], string> = {
  create: '+',
  update: '~',
  replace: '-/+',
  delete: '-',
  noop: ' ',
};

function changeText(change: FieldChange): string {
  const replace = change.forcesReplace ? ' (forces replacement)' : '';
  return `${change.path}: ${describeValue(change.from)} → ${describeValue(change.to)}${replace}`;
}

export function planCounts(plan: StackPlan): Record<'create' | 'update' | 'replace' | 'delete', number> {
  const count = (action: PlannedAction['action']) => plan.actions.filter((a) => a.action === action).length;
  return {
    create: count('create'),
    update: count('update'),
    replace: count('replace'),
    delete: count('delete'),
  };
}

function usd(value: number): string {
  return `$${value.toFixed(2)}`;
}

/** The plan as people read it: one line per resource that changes, its fields below it. */
export function renderPlan(plan: StackPlan, where: string): string {
  const lines = [`Stack ${plan.stack} (state: ${where})`, ''];
  const changing = plan.actions.filter((a) => a.action !== 'noop');
  if (changing.length === 0) lines.push('  No changes: the cloud matches the definitions.');
  const rows = changing.map((a) => [
    `  ${SYMBOL[a.action]}`,
    a.id,
    a.kind,
    a.ref.name,
    a.note ? `(${a.note})` : '',
  ]);
  if (rows.length > 0) {
    const rendered = table(rows).split('\n');
    changing.forEach((action, index) => {
      lines.push(rendered[index]!);
      for (const change of action.changes) lines.push(`        ${changeText(change)}`);
    });
  }
  if (plan.drift.length > 0) {
    lines.push('', 'Drift (changed outside Strato since the last deploy):');
    for (const item of plan.drift) {
      if (item.type === 'deleted') lines.push(`  ${item.id}: deleted outside Strato`);
      else
        for (const change of item.changes)
          lines.push(`  ${item.id}: ${changeText({ ...change, forcesReplace: false })}`);
    }
  }
  if (plan.unmanaged.length > 0) {
    lines.push('', 'Exists in the cloud, not managed by this stack (never adopted silently):');
    for (const item of plan.unmanaged) {
      const owner = item.stackLabel ? ` (labelled for stack ${item.stackLabel})` : '';
      lines.push(
        `  ! ${item.id}: ${item.ref.name}${owner}; adopt it with \`strato infra import ${item.id}\``,
      );
    }
  }
  const counts = planCounts(plan);
  lines.push(
    '',
    `Plan: ${counts.create} to create, ${counts.update} to update, ${counts.replace} to replace, ${counts.delete} to delete.`,
  );
  if (plan.cost.lines.length > 0) {
    lines.push(
      `Hourly cost once deployed: ${usd(plan.cost.onDemandUsd)} on-demand, ${usd(plan.cost.spotUsd)} spot (list prices, machines only; src/spec/catalog/prices.ts).`,
    );
  }
  return lines.join('\n');
}

/** The plan for scripts. */
export function planJson(plan: StackPlan, where: string): Record<string, unknown> {
  return {
    stack: plan.stack,
    state: where,
    hasChanges: plan.hasChanges,
    summary: planCounts(plan),
    actions: plan.actions.map((a) => ({
      id: a.id,
      kind: a.kind,
      action: a.action,
      name: a.ref.name,
      location: a.ref.location,
      changes: a.changes,
      ...(a.note ? { note: a.note } : {}),
    })),
    drift: plan.drift,
    unmanaged: plan.unmanaged.map((u) => ({
      id: u.id,
      kind: u.kind,
      name: u.ref.name,
      stackLabel: u.stackLabel,
    })),
    cost: plan.cost,
  };
}

/** Recorded resources: id, kind, cloud name, location. */
export function renderState(state: StackState, where: string): string {
  if (state.resources.length === 0) return `Stack ${state.stack}: nothing deployed (state: ${where})`;
  return [
    `Stack ${state.stack} (state: ${where}, serial ${state.serial}, updated ${state.updatedAt})`,
    '',
    table([
      ['ID', 'KIND', 'NAME', 'LOCATION'],
      ...state.resources.map((r) => [r.id, r.kind, r.ref.name, r.ref.location]),
    ]),
  ].join('\n');
}

/** `id.key = value` lines. */
export function renderOutputs(outputs: Record<string, Record<string, unknown>>): string {
  const lines: string[] = [];
  for (const [id, values] of Object.entries(outputs)) {
    for (const [key, value] of Object.entries(values)) {
      lines.push(`${id}.${key} = ${typeof value === 'string' ? value : JSON.stringify(value)}`);
    }
  }
  return lines.length > 0 ? lines.join('\n') : '(no outputs: nothing deployed)';
}
