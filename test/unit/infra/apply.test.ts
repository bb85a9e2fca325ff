import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../../src/infra/apply.ts';
import { desiredResources } from '../../../src/infra/construct.ts';
import { computePlan } from '../../../src/infra/plan.ts';
import { DriverRegistry } from '../../../src/infra/registry.ts';
import { emptyState, type StackState } from '../../../src/infra/state.ts';
import { Thing, thingCloud, thingStack } from '../../support/infra.ts';

function setup(delayMs = 20) {
  const cloud = thingCloud(delayMs);
  const registry = new DriverRegistry({ env: {} }).register('test.thing', cloud.driver as never);
  const saves: StackState[] = [];
  let state = emptyState('things');
  const run = async (build: (stack: ReturnType<typeof thingStack>) => void, parallelism?: number) => {
    const stack = thingStack();
    build(stack);
    const plan = await computePlan({
      stack: 'things',
      project: 'test-project',
      desired: desiredResources(stack),
      state,
      registry,
    });
    const result = await applyPlan(plan, {
      registry,
      state,
      save: async (s) => {
        saves.push(structuredClone(s));
      },
      context: { stack: 'things', project: 'test-project' },
      ...(parallelism ? { parallelism } : {}),
    });
    state = saves.at(-1) ?? state;
    return { plan, result };
  };
  return { cloud, registry, saves, run, state: () => state };
}

describe('applying a plan', () => {
  it('creates in dependency order, independent resources at once, saving the state after every resource', async () => {
    const { cloud, saves, run } = setup();
    const { result } = await run((stack) => {
      const network = new Thing(stack, 'network', { size: 1 });
      const a = new Thing(stack, 'a', { size: 1 }, [network]);
      const b = new Thing(stack, 'b', { size: 1 }, [network]);
      new Thing(stack, 'c', { size: 1 }, [a, b]);
    });
    expect(result.failed).toEqual([]);
    expect(cloud.calls[0]).toBe('create network');
    expect(cloud.calls.slice(1, 3).sort()).toEqual(['create a', 'create b']);
    expect(cloud.calls[3]).toBe('create c');
    expect(cloud.maxInFlight).toBe(2);
    // One whole state per resource, each with one more resource and a higher serial.
    expect(saves.map((s) => s.resources.length)).toEqual([1, 2, 3, 4]);
    expect(saves.map((s) => s.serial)).toEqual([1, 2, 3, 4]);
  });

  it('runs at most `parallelism` resources at once', async () => {
    const { cloud, run } = setup();
    await run((stack) => {
      for (let i = 0; i < 12; i++) new Thing(stack, `t${i}`, { size: 1 });
    }, 3);
    expect(cloud.things.size).toBe(12);
    expect(cloud.maxInFlight).toBe(3);
  });

  it('reads each kind once per plan, however many resources it has', async () => {
    const { cloud, run } = setup(1);
    await run((stack) => {
      for (let i = 0; i < 20; i++) new Thing(stack, `t${i}`, { size: 1 });
    });
    expect(cloud.readManyCalls).toBe(1);
  });

  it('updates in place, replaces (delete then create) on a field that forces it, and deletes in reverse order', async () => {
    const { cloud, run, state } = setup();
    await run((stack) => {
      const base = new Thing(stack, 'base', { size: 1 });
      new Thing(stack, 'moved', { size: 1, zone: 'zone-a' });
      const gone = new Thing(stack, 'gone', { size: 1 });
      new Thing(stack, 'gone-child', { size: 1 }, [gone]);
      void base;
    });
    cloud.calls.length = 0;
    const { plan } = await run((stack) => {
      new Thing(stack, 'base', { size: 2 });
      new Thing(stack, 'moved', { size: 1, zone: 'zone-b' });
    });
    const byId = Object.fromEntries(plan.actions.map((a) => [a.id, a.action]));
    expect(byId).toEqual({ base: 'update', moved: 'replace', gone: 'delete', 'gone-child': 'delete' });
    expect(plan.actions.find((a) => a.id === 'moved')?.changes).toContainEqual({
      path: 'zone',
      from: 'zone-a',
      to: 'zone-b',
      forcesReplace: true,
    });
    // Dependents are deleted before what they depend on; a replace deletes before it creates.
    expect(cloud.calls.indexOf('delete gone-child')).toBeLessThan(cloud.calls.indexOf('delete gone'));
    expect(cloud.calls.indexOf('delete moved')).toBeLessThan(cloud.calls.indexOf('create moved'));
    expect(
      state()
        .resources.map((r) => r.id)
        .sort(),
    ).toEqual(['base', 'moved']);
    expect(cloud.things.get('things-moved')?.props.zone).toBe('zone-b');
  });

  it('a failure starts nothing new, skips its dependents, and keeps what finished', async () => {
    const { cloud, run, state } = setup();
    cloud.failCreate.add('a');
    const { result } = await run((stack) => {
      const a = new Thing(stack, 'a', { size: 1 });
      new Thing(stack, 'after-a', { size: 1 }, [a]);
    }, 1);
    expect(result.failed.map((f) => f.id)).toEqual(['a']);
    expect(result.failed[0]?.error.message).toContain('no capacity for a');
    expect(result.skipped).toEqual(['after-a']);
    expect(cloud.calls).toEqual(['create a']);
    expect(state().resources).toEqual([]);
  });

  it('passes progress from long operations on, and --no-wait to the drivers', async () => {
    const cloud = thingCloud(1);
    const create = cloud.driver.create.bind(cloud.driver);
    const seen: { noWait?: boolean } = {};
    cloud.driver.create = async (resource, context) => {
      seen.noWait = context.noWait;
      context.onProgress?.({
        id: resource.id,
        status: 'WAITING_FOR_RESOURCES',
        message: 'queued for capacity',
      });
      context.onProgress?.({ id: resource.id, status: 'PROVISIONING' });
      return create(resource, context);
    };
    const registry = new DriverRegistry({ env: {} }).register('test.thing', cloud.driver as never);
    const stack = thingStack();
    new Thing(stack, 'slice', { size: 1 });
    const state = emptyState('things');
    const plan = await computePlan({
      stack: 'things',
      project: 'p',
      desired: desiredResources(stack),
      state,
      registry,
    });
    const events: string[] = [];
    await applyPlan(plan, {
      registry,
      state,
      save: async () => {},
      context: { stack: 'things', project: 'p', noWait: true },
      onEvent: (event) =>
        events.push(`${event.type} ${event.id}${'status' in event ? ` ${event.status}` : ''}`),
    });
    expect(events).toEqual([
      'start slice',
      'progress slice WAITING_FOR_RESOURCES',
      'progress slice PROVISIONING',
      'done slice',
    ]);
    expect(seen.noWait).toBe(true);
  });

  it('never writes a secret into the state: a driver output that looks like one fails the resource', async () => {
    const { cloud, run, state } = setup(1);
    const create = cloud.driver.create.bind(cloud.driver);
    cloud.driver.create = async (resource, context) => {
      const actual = await create(resource, context);
      return { ...actual, outputs: { ...actual.outputs, admin_password: 'hunter2' } };
    };
    const { result } = await run((stack) => {
      new Thing(stack, 'db', { size: 1 });
    });
    expect(result.failed[0]?.error.message).toContain(
      'would record a secret in state (outputs.admin_password)',
    );
    expect(JSON.stringify(state())).not.toContain('hunter2');
  });

  it('sums the hourly cost of what will run, on-demand and spot', async () => {
    const { run } = setup(1);
    const { plan } = await run((stack) => {
      new Thing(stack, 'x', { size: 3 });
      new Thing(stack, 'y', { size: 5 });
    });
    expect(plan.cost).toMatchObject({ onDemandUsd: 8, spotUsd: 2 });
  });

  it('a resource found under its name with this stack label is recorded, one without is reported and never adopted', async () => {
    const { cloud, run, state } = setup(1);
    cloud.things.set('things-left', { props: { size: 1 }, label: 'things' });
    cloud.things.set('things-foreign', { props: { size: 1 }, label: undefined });
    const { plan, result } = await run((stack) => {
      new Thing(stack, 'left', { size: 1 });
      new Thing(stack, 'foreign', { size: 1 });
    });
    expect(plan.unmanaged.map((u) => u.id)).toEqual(['foreign']);
    expect(result.failed.map((f) => f.id)).toEqual(['foreign']);
    expect(state().resources.map((r) => r.id)).toEqual(['left']);
    expect(cloud.things.get('things-foreign')?.label).toBeUndefined();
  });
});
