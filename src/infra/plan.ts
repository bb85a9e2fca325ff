/**
 * The plan: three views of every resource compared — desired (the
 * definitions), recorded (the state) and actual (read from the cloud now,
 * one `readMany` per kind) — into actions:
 *
 * - `create` (+): desired, not recorded (or recorded but deleted outside Strato);
 * - `update` (~): a field differs that the cloud changes in place;
 * - `replace` (-/+): a field differs that it cannot (a FieldChange with `forcesReplace`);
 * - `delete` (-): recorded, no longer desired;
 *
 * and drift: recorded vs actual differ, or the resource is gone. Fields a
 * cloud does not report (e.g. a bucket's `forceDestroy`) are taken from the
 * record, so they never show as drift. A resource that exists under its
 * deterministic name without being recorded is reported: with this stack's
 * label it is one a killed deploy created (the next deploy records it, no
 * duplicate); without, it is someone else's and is never adopted
 * (`strato infra import ID`).
 */

import type { DriverRegistry } from './registry.ts';
import type { StackState } from './state.ts';
import type {
  ActualResource,
  CloudRef,
  DesiredResource,
  DriverContext,
  FieldChange,
  RecordedResource,
  ResourceDriver,
} from './types.ts';

export type ActionType = 'create' | 'update' | 'replace' | 'delete' | 'noop';

export interface PlannedAction {
  id: string;
  kind: string;
  action: ActionType;
  /** Where it is (or will be) in the cloud. */
  ref: CloudRef;
  /** What changes: for update and replace, from the cloud's view to the definitions. */
  changes: FieldChange[];
  desired?: DesiredResource;
  recorded?: RecordedResource;
  actual?: ActualResource;
  /** Why, when it is not obvious: "deleted outside Strato", "left by an interrupted deploy", "already gone". */
  note?: string;
}

export interface DriftItem {
  id: string;
  kind: string;
  /** `changed`: fields differ from what was deployed; `deleted`: gone from the cloud. */
  type: 'changed' | 'deleted';
  changes: FieldChange[];
}

/** A cloud resource under a name the stack wants, not recorded and not labelled as this stack's. */
export interface UnmanagedResource {
  id: string;
  kind: string;
  ref: CloudRef;
  /** Another stack's label, when it has one. */
  stackLabel?: string;
}

export interface CostLine {
  id: string;
  onDemandUsd: number;
  spotUsd?: number;
}

export interface PlanCost {
  /** What the stack runs per hour once deployed, on-demand prices. */
  onDemandUsd: number;
  /** The same with spot prices where a resource has one (on-demand otherwise). */
  spotUsd: number;
  lines: CostLine[];
}

export interface StackPlan {
  stack: string;
  actions: PlannedAction[];
  drift: DriftItem[];
  unmanaged: UnmanagedResource[];
  cost: PlanCost;
  /** Something to create, update, replace or delete. */
  hasChanges: boolean;
}

/** The cloud's view, with the fields the cloud does not report taken from `base`. */
function cloudView(base: Record<string, unknown>, actual: ActualResource): Record<string, unknown> {
  return { ...base, ...actual.props };
}

function sameAddress(a: CloudRef, b: CloudRef): boolean {
  return a.project === b.project && a.location === b.location && a.name === b.name;
}

/** A driver context over the recorded outputs. */
export function contextFor(
  stack: string,
  project: string,
  state: StackState,
  extra: Partial<DriverContext> = {},
): DriverContext {
  return {
    stack,
    project,
    outputsOf: (id) => state.resources.find((r) => r.id === id)?.outputs ?? {},
    ...extra,
  };
}

/** The actual resources of every kind involved, one `readMany` call per kind. */
async function readActuals(
  refsByKind: Map<string, CloudRef[]>,
  drivers: Map<string, ResourceDriver>,
  context: DriverContext,
): Promise<Map<string, Map<string, ActualResource>>> {
  const entries = await Promise.all(
    [...refsByKind].map(async ([kind, refs]) => {
      const unique = [...new Map(refs.map((ref) => [ref.name, ref])).values()];
      return [kind, await drivers.get(kind)!.readMany(unique, context)] as const;
    }),
  );
  return new Map(entries);
}

export interface PlanInput {
  stack: string;
  project: string;
  desired: readonly DesiredResource[];
  state: StackState;
  registry: DriverRegistry;
}

export async function computePlan(input: PlanInput): Promise<StackPlan> {
  const { stack, desired, state, registry } = input;
  const context = contextFor(stack, input.project, state);
  const kinds = new Set([...desired.map((d) => d.kind), ...state.resources.map((r) => r.kind)]);
  const drivers = new Map<string, ResourceDriver>();
  for (const kind of kinds) drivers.set(kind, await registry.get(kind));

  const recordedById = new Map(state.resources.map((r) => [r.id, r]));
  const refsByKind = new Map<string, CloudRef[]>();
  const addRef = (kind: string, ref: CloudRef) =>
    refsByKind.set(kind, [...(refsByKind.get(kind) ?? []), ref]);
  const desiredRefs = new Map<string, CloudRef>();
  for (const resource of desired) {
    const ref = drivers.get(resource.kind)!.refOf(resource, context);
    desiredRefs.set(resource.id, ref);
    addRef(resource.kind, ref);
  }
  for (const recorded of state.resources) addRef(recorded.kind, recorded.ref);
  const actuals = await readActuals(refsByKind, drivers, context);
  const actualOf = (kind: string, ref: CloudRef) => actuals.get(kind)?.get(ref.name);

  const actions: PlannedAction[] = [];
  const drift: DriftItem[] = [];
  const unmanaged: UnmanagedResource[] = [];
  const lines: CostLine[] = [];

  for (const resource of desired) {
    const driver = drivers.get(resource.kind)!;
    const ref = desiredRefs.get(resource.id)!;
    const recorded = recordedById.get(resource.id);
    const cost = driver.hourlyCost?.(resource);
    if (cost) lines.push({ id: resource.id, ...cost });
    const base = { id: resource.id, kind: resource.kind, ref, desired: resource };
    if (recorded && recorded.kind === resource.kind) {
      const actual = actualOf(recorded.kind, recorded.ref);
      if (!actual) {
        drift.push({ id: resource.id, kind: resource.kind, type: 'deleted', changes: [] });
        actions.push({ ...base, action: 'create', changes: [], recorded, note: 'deleted outside Strato' });
        continue;
      }
      const view = cloudView(recorded.props, actual);
      const drifted = driver.diff(recorded.props, view);
      if (drifted.length > 0)
        drift.push({ id: resource.id, kind: resource.kind, type: 'changed', changes: drifted });
      const changes = driver.diff(view, resource.props);
      // A new name or project is a new resource; a new location shows in the props' own diff.
      if (!sameAddress(recorded.ref, ref) && !changes.some((c) => c.forcesReplace)) {
        changes.push({ path: '(address)', from: recorded.ref.name, to: ref.name, forcesReplace: true });
      }
      const action: ActionType =
        changes.length === 0 ? 'noop' : changes.some((c) => c.forcesReplace) ? 'replace' : 'update';
      actions.push({ ...base, action, changes, recorded, actual });
      continue;
    }
    const actual = actualOf(resource.kind, ref);
    if (actual && actual.stackLabel !== stack) {
      unmanaged.push({
        id: resource.id,
        kind: resource.kind,
        ref,
        ...(actual.stackLabel ? { stackLabel: actual.stackLabel } : {}),
      });
      actions.push({
        ...base,
        action: 'create',
        changes: [],
        actual,
        note: 'exists, not managed by this stack',
      });
      continue;
    }
    actions.push({
      ...base,
      action: 'create',
      changes: [],
      ...(recorded ? { recorded } : {}),
      ...(actual ? { actual, note: 'created by an interrupted deploy; will be recorded' } : {}),
    });
  }

  const desiredIds = new Set(desired.map((d) => d.id));
  for (const recorded of state.resources) {
    const kindChanged =
      desiredIds.has(recorded.id) && desired.find((d) => d.id === recorded.id)?.kind !== recorded.kind;
    if (desiredIds.has(recorded.id) && !kindChanged) continue;
    const actual = actualOf(recorded.kind, recorded.ref);
    if (!actual) drift.push({ id: recorded.id, kind: recorded.kind, type: 'deleted', changes: [] });
    actions.push({
      id: recorded.id,
      kind: recorded.kind,
      action: 'delete',
      ref: recorded.ref,
      changes: [],
      recorded,
      ...(actual ? { actual } : { note: 'already gone; removed from state' }),
    });
  }

  const onDemandUsd = lines.reduce((sum, line) => sum + line.onDemandUsd, 0);
  const spotUsd = lines.reduce((sum, line) => sum + (line.spotUsd ?? line.onDemandUsd), 0);
  return {
    stack,
    actions,
    drift,
    unmanaged,
    cost: { onDemandUsd: round(onDemandUsd), spotUsd: round(spotUsd), lines },
    hasChanges: actions.some((a) => a.action !== 'noop'),
  };
}

function round(usd: number): number {
  return Math.round(usd * 10_000) / 10_000;
}
