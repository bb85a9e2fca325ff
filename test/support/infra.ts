/**
 * Infra test helpers: an in-memory test driver (kind `test.thing`) that
 * records the order, overlap and kind of every call, for engine-only
 * semantics (ordering, parallelism, replace); a stack of such things; and
 * a stack folder on disk for the CLI.
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Construct } from 'constructs';
import { InfraResource, Stack } from '../../src/infra/construct.ts';
import { diffFields } from '../../src/infra/diff.ts';
import type { ActualResource, CloudRef, ResourceDriver } from '../../src/infra/types.ts';
import { REPO_ROOT } from './local.ts';

export const THING_KIND = 'test.thing';

export interface ThingProps {
  size: number;
  /** Changing it forces a replace. */
  zone?: string;
  [key: string]: unknown;
}

/** A resource of the test driver. */
export class Thing extends InfraResource<ThingProps> {
  readonly kind = THING_KIND;
  constructor(scope: Construct, id: string, props: ThingProps, after: Thing[] = []) {
    super(scope, id, props);
    for (const other of after) this.node.addDependency(other);
  }
}

interface Stored {
  props: ThingProps;
  label: string | undefined;
}

export interface ThingCloud {
  driver: ResourceDriver<ThingProps>;
  things: Map<string, Stored>;
  /** `create a`, `delete b`, … in the order they started. */
  calls: string[];
  /** The most calls that were in flight at once. */
  maxInFlight: number;
  readManyCalls: number;
  /** Names whose create fails. */
  failCreate: Set<string>;
}

/** An in-memory cloud of things; every call takes `delayMs`. */
export function thingCloud(delayMs = 20): ThingCloud {
  let inFlight = 0;
  const cloud: ThingCloud = {
    things: new Map(),
    calls: [],
    maxInFlight: 0,
    readManyCalls: 0,
    failCreate: new Set(),
    driver: undefined as unknown as ResourceDriver<ThingProps>,
  };
  const busy = async <T>(call: string, work: () => T): Promise<T> => {
    cloud.calls.push(call);
    inFlight++;
    cloud.maxInFlight = Math.max(cloud.maxInFlight, inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return work();
    } finally {
      inFlight--;
    }
  };
  const actual = (ref: CloudRef, stored: Stored): ActualResource<ThingProps> => ({
    ref,
    props: { ...stored.props },
    outputs: { name: ref.name },
    ...(stored.label ? { stackLabel: stored.label } : {}),
  });
  cloud.driver = {
    kind: THING_KIND,
    cloudName: (resource, stack) => `${stack}-${resource.id}`,
    refOf: (resource, context) => ({
      project: context.project,
      location: resource.props.zone ?? 'zone-a',
      name: `${context.stack}-${resource.id}`,
    }),
    async readMany(refs) {
      cloud.readManyCalls++;
      const found = new Map<string, ActualResource<ThingProps>>();
      for (const ref of refs) {
        const stored = cloud.things.get(ref.name);
        if (stored) found.set(ref.name, actual(ref, stored));
      }
      return found;
    },
    diff: (before, after) => diffFields(before, after, (path) => path === 'zone'),
    create(resource, context) {
      const ref = this.refOf(resource, context);
      return busy(`create ${resource.id}`, () => {
        if (cloud.failCreate.has(resource.id)) throw new Error(`no capacity for ${resource.id}`);
        const existing = cloud.things.get(ref.name);
        if (existing && existing.label !== context.stack) throw new Error(`${ref.name} exists, not ours`);
        const stored = { props: { ...resource.props }, label: context.stack };
        cloud.things.set(ref.name, stored);
        return actual(ref, stored);
      });
    },
    update(resource, current, _changes, context) {
      return busy(`update ${resource.id}`, () => {
        const stored = { props: { ...resource.props }, label: context.stack };
        cloud.things.set(current.ref.name, stored);
        return actual(current.ref, stored);
      });
    },
    delete(recorded) {
      return busy(`delete ${recorded.id}`, () => {
        cloud.things.delete(recorded.ref.name);
      });
    },
    hourlyCost: (resource) => ({ onDemandUsd: resource.props.size, spotUsd: resource.props.size / 4 }),
  };
  return cloud;
}

export function thingStack(name = 'things'): Stack {
  return new Stack(name, { project: 'test-project' });
}

/** A scratch folder holding `infra/`; removed by `remove()`. */
export function stackFolder(): { dir: string; write(name: string, text: string): string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'strato-infra-'));
  return {
    dir,
    write(name, text) {
      const path = join(dir, name);
      writeFileSync(path, text);
      return path;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The import line a stack file in a scratch folder uses to reach Strato's sources. */
export const STRATO_SOURCES = join(REPO_ROOT, 'src', 'index.ts');

export { Construct };
