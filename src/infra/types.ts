/**
 * The contract between the infra engine and the resource kinds it manages.
 *
 * A stack (constructs in `infra/<stack>.ts`, or YAML) yields a list of
 * desired resources: plain data, each with a stable `id` (the construct
 * path), a `kind` and validated `props`. The engine compares three views of
 * each resource — desired (the definitions), recorded (the state file) and
 * actual (read from the cloud) — and asks the kind's driver to create,
 * update, replace or delete. A driver knows one kind of cloud resource and
 * nothing of plans, state or ordering; the engine knows nothing of any
 * cloud API.
 *
 * Idempotency is the driver's half of the bargain: the cloud name of a
 * resource is deterministic (`cloudName`), and `create` of a resource that
 * already exists with that name and Strato's stack label returns it
 * instead of failing or making a second one, so a deploy killed at any
 * point converges when run again. A resource with that name but without
 * the stack's label is never adopted: `create` throws E_CONFLICT naming
 * `strato infra import`.
 */

/** A resource as the definitions ask for it. */
export interface DesiredResource<Props = Record<string, unknown>> {
  /** Stable id in the stack: the construct path, e.g. `data/bucket`. */
  id: string;
  /** A driver's kind, e.g. `gcs.bucket`, `compute.network`, `compute.firewall`, `compute.instance`, `tpu.queued-resource`. */
  kind: string;
  /** Validated props (the construct validated them at construction). */
  props: Props;
  /** Ids this resource needs first (explicit, and every reference in its props). */
  dependsOn: string[];
}

/** What the state file holds for one deployed resource. Never secrets. */
export interface RecordedResource<Props = Record<string, unknown>> {
  id: string;
  kind: string;
  /** The props it was last deployed with (what `plan` diffs the definitions against). */
  props: Props;
  /** Where it lives in the cloud: what `read` and `delete` need (project, zone, name, self link). */
  ref: CloudRef;
  /** What other resources and job specs read: addresses, URIs, endpoints. */
  outputs: Record<string, unknown>;
  dependsOn: string[];
}

/** A resource's address in the cloud; the fields its kind needs. */
export interface CloudRef {
  project: string;
  /** `global`, a region (`us-central1`) or a zone (`us-central2-b`). */
  location: string;
  /** Its cloud name (deterministic, see `cloudName`). */
  name: string;
  [field: string]: unknown;
}

/** A resource as read from the cloud just now. */
export interface ActualResource<Props = Record<string, unknown>> {
  ref: CloudRef;
  /** The same fields as the props, as the cloud reports them (for drift and diffs). */
  props: Props;
  outputs: Record<string, unknown>;
  /** The stack label's value on the resource, if it has one. */
  stackLabel?: string;
  /** A state to show while waiting (`WAITING_FOR_RESOURCES`, `PROVISIONING`, `RUNNING`, …). */
  status?: string;
}

/** One field that differs between two views. */
export interface FieldChange {
  /** Dotted path in props, e.g. `lifecycle.deleteAfterDays`. */
  path: string;
  from: unknown;
  to: unknown;
  /** True when the cloud cannot change this field in place (e.g. a TPU's accelerator type). */
  forcesReplace: boolean;
}

/** What a driver's long operation reports while it waits. */
export interface ProgressEvent {
  id: string;
  /** A short state, e.g. `WAITING_FOR_RESOURCES`. */
  status: string;
  message?: string;
}

export interface DriverContext {
  /** The stack's name: the value of the `strato-stack` label every resource carries. */
  stack: string;
  /** The project resources go to unless their props name another. */
  project: string;
  /** Outputs of resources already deployed, by id (a firewall reads its network's self link). */
  outputsOf(id: string): Record<string, unknown>;
  /** Do not wait for long operations to finish (`--no-wait`): return once the request is accepted. */
  noWait?: boolean;
  onProgress?(event: ProgressEvent): void;
  signal?: AbortSignal;
}

/**
 * One kind of cloud resource. Every method is safe to call again after a
 * crash at any point (see the file comment).
 */
export interface ResourceDriver<Props = Record<string, unknown>> {
  kind: string;
  /** The deterministic cloud name of a desired resource in a stack. */
  cloudName(resource: DesiredResource<Props>, stack: string): string;
  /** Where it lives, before it exists (so `read` can look for it). */
  refOf(resource: DesiredResource<Props>, context: DriverContext): CloudRef;
  /**
   * Reads many resources of this kind at once: one list call per project
   * and location where the API allows, not one GET per resource. Missing
   * ones are absent from the map (keyed by `CloudRef.name`).
   */
  readMany(refs: readonly CloudRef[], context: DriverContext): Promise<Map<string, ActualResource<Props>>>;
  /** Field differences from `before` to `after`, each saying whether it forces a replace. */
  diff(before: Props, after: Props): FieldChange[];
  create(resource: DesiredResource<Props>, context: DriverContext): Promise<ActualResource<Props>>;
  update(
    resource: DesiredResource<Props>,
    actual: ActualResource<Props>,
    changes: readonly FieldChange[],
    context: DriverContext,
  ): Promise<ActualResource<Props>>;
  /**
   * Marks an existing resource as the stack's — its `strato-stack` label, or the mark in its
   * description — changing nothing else. `strato infra import` calls it, so an imported resource
   * is the stack's at once (a later deploy or a second import finds it labelled). Kinds with no
   * mark of their own leave it out (a project role binding belongs to its account's stack).
   */
  claim?(
    actual: ActualResource<Props>,
    resource: DesiredResource<Props>,
    context: DriverContext,
  ): Promise<ActualResource<Props>>;
  /** Deletes it; already gone is success. A non-empty bucket without `forceDestroy` is refused (E_CONFLICT). */
  delete(recorded: RecordedResource<Props>, context: DriverContext): Promise<void>;
  /** Hourly price of what this resource runs, on-demand and spot, if it costs by the hour. */
  hourlyCost?(resource: DesiredResource<Props>): { onDemandUsd: number; spotUsd?: number } | undefined;
}

/** The label every resource Strato creates carries, so nothing is adopted by accident. */
export const STACK_LABEL = 'strato-stack';
