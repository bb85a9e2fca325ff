/**
 * The plan fixtures the Python trainer helper is tested against must be what
 * the compiler produces today; otherwise the two sides drift apart silently.
 */

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  PLAN_FIXTURE_CASES,
  PLAN_FIXTURES_DIR,
  REGENERATE_COMMAND,
  renderPlanFixtures,
} from '../../support/generate-plan-fixtures.ts';

const expected = renderPlanFixtures();
const stale = `stale plan fixture: run \`${REGENERATE_COMMAND}\` and commit trainer-images/tests/fixtures/plans`;

describe('plan fixtures for the Python trainer helper', () => {
  it('hold exactly one file per case', () => {
    const onDisk = readdirSync(PLAN_FIXTURES_DIR).filter((name) => name.endsWith('.json'));
    expect(onDisk.sort(), stale).toEqual([...expected.keys()].sort());
  });

  // Compared as data: the files on disk are Biome-formatted.
  it.each([...expected.keys()])('%s matches the compiler', (name) => {
    const onDisk = JSON.parse(readFileSync(join(PLAN_FIXTURES_DIR, name), 'utf8'));
    expect(onDisk, stale).toEqual(JSON.parse(expected.get(name)!));
  });

  it('cover every strategy and every role that runs a program', () => {
    const seen = new Set<string>();
    for (const text of expected.values()) {
      const { plan } = JSON.parse(text);
      for (const replica of plan.replicas)
        if (replica.runsProgram) seen.add(`${plan.strategy}/${replica.role}`);
    }
    expect([...seen].sort()).toEqual([
      'mirrored/worker',
      'multi-worker-mirrored/chief',
      'multi-worker-mirrored/evaluator',
      'multi-worker-mirrored/worker',
      'one-device/worker',
      'parameter-server/chief',
      'parameter-server/evaluator',
      'parameter-server/ps',
      'parameter-server/worker',
      'tpu/tpu-host',
    ]);
  });

  it('include a multi-host TPU slice whose other hosts run nothing', () => {
    const pod = JSON.parse(expected.get('tpu-pod.json')!).plan;
    expect(pod.replicas.map((r: { runsProgram: boolean }) => r.runsProgram)).toEqual([
      true,
      false,
      false,
      false,
    ]);
    expect(PLAN_FIXTURE_CASES.map((c) => c.name)).toContain('tpu-mesh');
  });
});
