/**
 * Stacks read like CDK: a `Stack` is the root of a tree of constructs (the
 * `constructs` package CDK itself is built on), and every cloud resource is
 * an `InfraResource` in that tree. A resource construct validates its props
 * when it is built (the job-spec error model: every problem at once, with
 * the field path, the value received, what is allowed and the fix) and
 * knows its driver's `kind`; `desiredResources(stack)` flattens the tree
 * into the plain data the engine plans with (`types.ts`).
 *
 * Dependencies are explicit (`resource.node.addDependency(other)`) or come
 * from references: a prop whose value is another resource construct (a
 * firewall's `network`) is recorded as a dependency and stored as `{ ref: id }`.
 */

import { Construct } from 'constructs';
import type { DesiredResource } from './types.ts';

export interface StackProps {
  /** Default project of the stack's resources. */
  project: string;
  /** Default region (buckets, subnetworks) and zone (VMs, TPU slices) of the stack's resources. */
  region?: string;
  zone?: string;
  /** Labels every resource carries, beside `strato-stack`. */
  labels?: Record<string, string>;
}

/**
 * Brands that make `instanceof Stack` and `instanceof InfraResource` hold
 * across two copies of this module: a stack file importing Strato's sources
 * (`../src/index.ts` in this repository) read by the CLI running from its
 * build, or two installs of the package.
 */
const STACK_BRAND = Symbol.for('strato.infra.Stack');
const RESOURCE_BRAND = Symbol.for('strato.infra.InfraResource');

function branded(value: unknown, brand: symbol): boolean {
  return value !== null && typeof value === 'object' && (value as Record<symbol, unknown>)[brand] === true;
}

/** `instanceof base` by brand; a subclass (`instanceof Bucket`) keeps the usual prototype check. */
function brandInstanceCheck(base: object, brand: symbol): void {
  Object.defineProperty(base, Symbol.hasInstance, {
    value(this: unknown, value: unknown): boolean {
      return this === base
        ? branded(value, brand)
        : Function.prototype[Symbol.hasInstance].call(this as () => void, value);
    },
  });
}

/** The root of a stack; its id is the stack's name (the `strato-stack` label). */
export class Stack extends Construct {
  readonly props: StackProps;

  constructor(name: string, props: StackProps) {
    super(undefined as unknown as Construct, name);
    this.props = props;
    Object.defineProperty(this, STACK_BRAND, { value: true });
  }

  get stackName(): string {
    return this.node.id;
  }
}

brandInstanceCheck(Stack, STACK_BRAND);

/** A reference to another resource, as it appears in the props handed to drivers. */
export interface ResourceRef {
  ref: string;
}

/** One cloud resource in a stack. Subclasses validate their props in their constructor. */
export abstract class InfraResource<Props extends object = Record<string, unknown>> extends Construct {
  /** The driver's kind, e.g. `compute.network`. */
  abstract readonly kind: string;
  readonly props: Props;

  constructor(scope: Construct, id: string, props: Props) {
    super(scope, id);
    this.props = props;
    Object.defineProperty(this, RESOURCE_BRAND, { value: true });
  }

  /** The resource's id in the stack: its construct path below the stack. */
  get resourceId(): string {
    return this.node.path.split('/').slice(1).join('/');
  }

  /** The stack this resource belongs to. */
  get stack(): Stack {
    const root = this.node.root;
    if (!(root instanceof Stack)) throw new Error(`${this.node.path} is not inside a Stack`);
    return root;
  }
}

brandInstanceCheck(InfraResource, RESOURCE_BRAND);

/** Props with every resource construct replaced by `{ ref: id }`, and the ids referenced. */
function resolveReferences(value: unknown, refs: Set<string>): unknown {
  if (value instanceof InfraResource) {
    refs.add(value.resourceId);
    return { ref: value.resourceId } satisfies ResourceRef;
  }
  if (Array.isArray(value)) return value.map((item) => resolveReferences(item, refs));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, resolveReferences(item, refs)]),
    );
  }
  return value;
}

/** Every resource of the stack as plain data, in tree order. */
export function desiredResources(stack: Stack): DesiredResource[] {
  return stack.node
    .findAll()
    .filter((node): node is InfraResource => node instanceof InfraResource)
    .map((resource) => {
      const refs = new Set<string>();
      const props = resolveReferences(resource.props, refs) as Record<string, unknown>;
      for (const dependency of resource.node.dependencies) {
        if (dependency instanceof InfraResource) refs.add(dependency.resourceId);
      }
      return { id: resource.resourceId, kind: resource.kind, props, dependsOn: [...refs].sort() };
    });
}
