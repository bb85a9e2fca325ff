/**
 * The SDK's infra operations, each a plain function: load the stack, open
 * its state, plan, and (for deploy, destroy, import) take the lock, apply,
 * and release it. The CLI is a thin shell over these.
 */

import { StratoError } from '../errors.ts';
import type { StoreOptions } from '../storage/open.ts';
import { type ApplyEvent, type ApplyResult, applyError, applyPlan } from './apply.ts';
import { type LoadedStack, loadStackFile } from './load.ts';
import { type LockInfo, newLockInfo } from './lock-info.ts';
import { computePlan, contextFor, type StackPlan } from './plan.ts';
import { DriverRegistry } from './registry.ts';
import { emptyState, type StackState } from './state.ts';
import { type HeldLock, openStateBackend, type StateBackend } from './state-backend.ts';

export interface InfraOptions {
  /** The stack file (infra/<stack>.ts or .yaml), or a stack name in infra/; default the one stack in infra/. */
  file?: string;
  /** Where relative paths resolve; default process.cwd(). */
  cwd?: string;
  /** `gs://bucket/path` or a file path; default `<definitions>/.strato/infra/<stack>.state.json`. */
  state?: string;
  env?: NodeJS.ProcessEnv;
  /** API endpoints by service (`storage`, `compute`, `tpu`), e.g. a fake cloud's. */
  endpoints?: Partial<Record<string, string>>;
  /** Drivers by kind; default the built-in ones. */
  registry?: DriverRegistry;
  /** Told when a stale lock (its holder died on this machine) is taken over. */
  onLockTakeover?(holder: LockInfo): void;
}

export interface ApplyRunOptions extends InfraOptions {
  /** Resources worked on at once; default 32. */
  parallelism?: number;
  /** Return once each long operation is accepted, without waiting for it (a queued TPU). */
  noWait?: boolean;
  signal?: AbortSignal;
  onEvent?(event: ApplyEvent): void;
  /** Asked with the plan before anything changes; false stops (nothing is done). Default: go ahead. */
  confirm?(plan: StackPlan, stateWhere: string): Promise<boolean>;
}

export interface OpenedStack {
  loaded: LoadedStack;
  backend: StateBackend;
  state: StackState;
  registry: DriverRegistry;
}

export interface ApplyOutcome extends OpenedStack {
  plan: StackPlan;
  /** Undefined when the plan had no changes or was not confirmed. */
  result?: ApplyResult;
  confirmed: boolean;
}

function storeOptions(options: InfraOptions): StoreOptions {
  const endpoint = options.endpoints?.storage;
  return endpoint ? { gcs: { apiEndpoint: endpoint } } : {};
}

/** Loads the stack and reads its state (no lock). */
export async function openStack(options: InfraOptions): Promise<OpenedStack> {
  const cwd = options.cwd ?? process.cwd();
  const loaded = await loadStackFile(options.file as string, cwd);
  const backend = await openStateBackend({
    ...(options.state ? { state: options.state } : {}),
    baseDir: loaded.baseDir,
    cwd,
    stack: loaded.name,
    storeOptions: storeOptions(options),
  });
  const state = (await backend.read()) ?? emptyState(loaded.name);
  const registry =
    options.registry ??
    new DriverRegistry({
      env: options.env ?? process.env,
      ...(options.endpoints ? { endpoints: options.endpoints } : {}),
    });
  return { loaded, backend, state, registry };
}

/** The plan of a stack: desired vs recorded vs actual. */
export async function planStack(options: InfraOptions): Promise<OpenedStack & { plan: StackPlan }> {
  const opened = await openStack(options);
  return { ...opened, plan: await planOf(opened, false) };
}

function planOf(opened: OpenedStack, destroy: boolean): Promise<StackPlan> {
  return computePlan({
    stack: opened.loaded.name,
    project: opened.loaded.project,
    desired: destroy ? [] : opened.loaded.resources,
    state: opened.state,
    registry: opened.registry,
  });
}

/** Runs `body` holding the stack's lock; the state is read again under the lock. */
async function withLock<T>(
  options: InfraOptions,
  operation: string,
  body: (opened: OpenedStack, lock: HeldLock) => Promise<T>,
): Promise<T> {
  const opened = await openStack(options);
  const lock = await opened.backend.lock(newLockInfo(opened.loaded.name, operation));
  if (lock.tookOverFrom) options.onLockTakeover?.(lock.tookOverFrom);
  try {
    // Another run may have finished between the first read and the lock.
    opened.state = (await opened.backend.read()) ?? emptyState(opened.loaded.name);
    return await body(opened, lock);
  } finally {
    await lock.release();
  }
}

async function applyUnderLock(
  options: ApplyRunOptions,
  operation: 'deploy' | 'destroy',
): Promise<ApplyOutcome> {
  return withLock(options, operation, async (opened) => {
    const plan = await planOf(opened, operation === 'destroy');
    if (plan.unmanaged.length > 0 && operation === 'deploy') {
      const [first] = plan.unmanaged;
      throw new StratoError(
        'E_CONFLICT',
        `${first!.id}: ${first!.ref.name} exists in the cloud but is not managed by stack ${plan.stack}${first!.stackLabel ? ` (it is labelled for stack ${first!.stackLabel})` : ''}`,
        { hint: `adopt it with \`strato infra import ${first!.id}\`, or give the resource another name` },
      );
    }
    if (!plan.hasChanges) return { ...opened, plan, confirmed: true };
    const confirmed = options.confirm ? await options.confirm(plan, opened.backend.where) : true;
    if (!confirmed) return { ...opened, plan, confirmed };
    const result = await applyPlan(plan, {
      registry: opened.registry,
      state: opened.state,
      save: (state) => opened.backend.write(state),
      context: {
        stack: opened.loaded.name,
        project: opened.loaded.project,
        ...(options.noWait ? { noWait: true } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      ...(options.parallelism ? { parallelism: options.parallelism } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
    });
    const error = applyError(result, options.signal?.aborted === true);
    if (error) throw error;
    return { ...opened, plan, result, confirmed };
  });
}

/** Plans, asks `confirm`, and applies in dependency order with the state saved after every resource. */
export function deployStack(options: ApplyRunOptions): Promise<ApplyOutcome> {
  return applyUnderLock(options, 'deploy');
}

/** Deletes every recorded resource, dependents first. */
export function destroyStack(options: ApplyRunOptions): Promise<ApplyOutcome> {
  return applyUnderLock(options, 'destroy');
}

/**
 * Adopts an existing cloud resource under a resource id of the stack: it is
 * read and recorded as it is (the next plan shows what differs from the definitions).
 */
export async function importResource(options: InfraOptions & { id: string }): Promise<OpenedStack> {
  return withLock(options, 'import', async (opened) => {
    const desired = opened.loaded.resources.find((r) => r.id === options.id);
    if (!desired) {
      throw new StratoError('E_NOT_FOUND', `no resource ${options.id} in stack ${opened.loaded.name}`, {
        hint: `ids: ${opened.loaded.resources.map((r) => r.id).join(', ') || '(none)'}`,
      });
    }
    if (opened.state.resources.some((r) => r.id === options.id)) {
      throw new StratoError(
        'E_CONFLICT',
        `${options.id} is already in the state of stack ${opened.loaded.name}`,
        {
          hint: 'nothing to import; `strato infra plan` shows its changes',
        },
      );
    }
    const driver = await opened.registry.get(desired.kind);
    const context = contextFor(opened.loaded.name, opened.loaded.project, opened.state);
    const ref = driver.refOf(desired, context);
    const found = (await driver.readMany([ref], context)).get(ref.name);
    if (!found) {
      throw new StratoError(
        'E_NOT_FOUND',
        `${options.id}: no ${desired.kind} named ${ref.name} in the cloud`,
        {
          hint: 'nothing to import; `strato infra deploy` creates it',
        },
      );
    }
    // Labelled as the stack's now, not at the next update: nothing in between sees it as unmanaged.
    const actual =
      driver.claim && found.stackLabel !== context.stack
        ? await driver.claim(found, desired, context)
        : found;
    opened.state.resources.push({
      id: desired.id,
      kind: desired.kind,
      // Fields the cloud does not report come from the definitions.
      props: { ...desired.props, ...actual.props },
      ref: actual.ref,
      outputs: actual.outputs,
      dependsOn: desired.dependsOn,
    });
    opened.state.serial += 1;
    opened.state.updatedAt = new Date().toISOString();
    await opened.backend.write(opened.state);
    return opened;
  });
}

/** Releases a lock by its id (the holder must be gone: it is not asked). */
export async function forceUnlock(options: InfraOptions & { id: string }): Promise<LockInfo> {
  const opened = await openStack(options);
  return opened.backend.forceUnlock(options.id);
}

/** Outputs of every recorded resource, by id. */
export function outputsOf(state: StackState): Record<string, Record<string, unknown>> {
  return Object.fromEntries(state.resources.map((r) => [r.id, r.outputs]));
}
