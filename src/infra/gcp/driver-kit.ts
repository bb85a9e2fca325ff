/**
 * What the three Compute Engine drivers share: one lazily created client
 * set per driver, where the endpoint comes from, and the idempotent create —
 * look for the deterministic name first; ours (the stack's mark) is returned,
 * anyone else's is refused (E_CONFLICT naming `strato infra import`); an
 * insert that races another one ("already exists") looks again.
 */

import { StratoError } from '../../errors.ts';
import type { ActualResource, CloudRef, DriverContext, RecordedResource } from '../types.ts';
import {
  type ComputeApi,
  type ComputeApiOptions,
  createComputeApi,
  newRequestId,
  type Operation,
  operationOf,
} from './compute-api.ts';

/** Shaped like the engine's driver options: the environment, and endpoints by service (`compute`). */
export interface ComputeDriverOptions {
  env?: NodeJS.ProcessEnv;
  endpoints?: Partial<Record<string, string>>;
  /** Client options beyond the endpoint (retry policy), for tests. */
  api?: Omit<ComputeApiOptions, 'endpoint' | 'env'>;
  /** How often a VM still starting is looked at again; default 2 s. */
  pollMs?: number;
}

export function lazyComputeApi(options: ComputeDriverOptions): () => Promise<ComputeApi> {
  let api: Promise<ComputeApi> | undefined;
  return () => {
    api ??= createComputeApi({
      ...options.api,
      ...(options.endpoints?.compute ? { endpoint: options.endpoints.compute } : {}),
      ...(options.env ? { env: options.env } : {}),
    });
    return api;
  };
}

export interface IdempotentCreate<Props> {
  /** The resource as it is now, or undefined when there is none with this name. */
  read(): Promise<ActualResource<Props> | undefined>;
  /** Sends the insert and waits for its operation. */
  insert(): Promise<void>;
  stack: string;
  /** `network my-stack-net in project p`, for messages. */
  what: string;
  id: string;
}

/** Returns ours if it exists, refuses someone else's, else inserts and reads back. */
export async function createIdempotently<Props>(
  create: IdempotentCreate<Props>,
): Promise<ActualResource<Props>> {
  const claim = (existing: ActualResource<Props>) => {
    if (existing.stackLabel === create.stack) return existing;
    throw new StratoError(
      'E_CONFLICT',
      `${create.what} exists already and is not stack ${create.stack}'s (${existing.stackLabel ? `it is stack ${existing.stackLabel}'s` : 'it has no strato-stack mark'})`,
      { hint: `adopt it with \`strato infra import ${create.id}\`, or give the resource another name` },
    );
  };
  const before = await create.read();
  if (before) return claim(before);
  try {
    await create.insert();
  } catch (error) {
    // Another deploy (or a retried request) made it between our read and our insert.
    if (
      !(error instanceof StratoError && error.code === 'E_CONFLICT' && /already exists/i.test(error.message))
    )
      throw error;
    const raced = await create.read();
    if (!raced) throw error;
    return claim(raced);
  }
  const after = await create.read();
  if (!after) {
    throw new StratoError('E_INTERNAL', `${create.what} was created but cannot be read back`, {
      hint: 'run `strato infra plan` to see its state; deploy again to converge',
    });
  }
  return after;
}

/** Deletes a resource and waits for its operation (zone or global); already gone is success. */
export async function deleteAndWait<P>(
  api: ReturnType<typeof lazyComputeApi>,
  recorded: RecordedResource<P>,
  context: DriverContext,
  what: string,
  send: (compute: ComputeApi, requestId: string) => Promise<readonly unknown[]>,
): Promise<void> {
  const compute = await api();
  const requestId = newRequestId();
  const action = `deleting ${what} ${recorded.ref.name}`;
  let operation: Operation;
  try {
    operation = operationOf(await compute.call(action, recorded.ref.project, () => send(compute, requestId)));
  } catch (error) {
    if ((error as { code?: string }).code === 'E_NOT_FOUND') return;
    throw error;
  }
  await compute.waitFor(operation, {
    id: recorded.id,
    action,
    project: recorded.ref.project,
    ...(context.onProgress ? { onProgress: context.onProgress } : {}),
    ...(context.signal ? { signal: context.signal } : {}),
  });
}

/**
 * The global resources of `refs` (networks, firewall rules) found by name:
 * one list call per project, whatever the number of resources.
 */
export async function readGlobalByName<Item extends { name?: string | null }, Props>(
  refs: readonly CloudRef[],
  list: (project: string) => Promise<Item[]>,
  actualOf: (item: Item, ref: CloudRef) => ActualResource<Props>,
): Promise<Map<string, ActualResource<Props>>> {
  const found = new Map<string, ActualResource<Props>>();
  for (const project of new Set(refs.map((r) => r.project))) {
    const wanted = new Map(refs.filter((r) => r.project === project).map((r) => [r.name, r]));
    for (const item of await list(project)) {
      const ref = wanted.get(item.name ?? '');
      if (ref) found.set(ref.name, actualOf(item, ref));
    }
  }
  return found;
}
