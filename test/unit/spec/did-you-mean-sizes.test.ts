/**
 * The catalog's "did you mean" never proposes another chip or a smaller
 * machine (issue 18, item 7: `v5e-32` got "did you mean v5p-32"), and
 * `v5e-N`, the name users type, is accepted for `v5litepod-N`. Driven as it
 * was found: `strato validate` on a spec file.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';
import { planJob } from '../../../src/jobs/plan-job.ts';
import { parseJobSpec } from '../../../src/spec/load.ts';
import { closestNotSmaller } from '../../../src/spec/suggest.ts';
import { tempDir } from '../../support/local.ts';
import { vertexSpec } from '../../support/specs.ts';

const work = tempDir('strato-did-you-mean-');
afterAll(() => work.remove());

function tpuJob(type: string) {
  return vertexSpec({
    strategy: 'tpu',
    resources: { workers: { tpu: { type, runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt' } } },
    provider: { name: 'vertex', project: 'my-project', region: 'us-west4' },
  });
}

async function validate(spec: object): Promise<{ code: number; err: string; out: string }> {
  const file = join(work.path, `spec-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(spec));
  const io = bufferIo();
  const code = await main(['validate', file], io);
  return { code, err: io.stderr, out: io.stdout };
}

describe('TPU slice names', () => {
  it('v5e-32 is valid and plans as v5litepod-32', async () => {
    const result = await validate(tpuJob('v5e-32'));
    expect(result.code, result.err).toBe(0);
    const plan = planJob(parseJobSpec(tpuJob('v5e-32')));
    expect(plan.replicas[0]!.resources.tpu).toMatchObject({ type: 'v5litepod-32', chips: 32 });
  });

  const cases: [string, RegExp][] = [
    ['v5e-33', /fix: did you mean "v5litepod-64"\?/],
    ['v4-30', /fix: did you mean "v4-32"\?/],
    ['V4-32', /fix: did you mean "v4-32"\?/],
    ['v5e-512', /fix: v5e slices go up to v5litepod-256/],
  ];
  for (const [type, fix] of cases) {
    it(`${type}: the fix stays on the same chip and never shrinks the slice`, async () => {
      const result = await validate(tpuJob(type));
      expect(result.code).toBe(2);
      expect(result.err).toMatch(fix);
      expect(result.err).not.toMatch(/did you mean "v5p|did you mean "v6e/);
    });
  }

  it('an unknown chip lists the chips and proposes none of them', async () => {
    const result = await validate(tpuJob('v5x-32'));
    expect(result.code).toBe(2);
    expect(result.err).toContain('allowed: v2-N, v3-N, v4-N, v5litepod-N (v5e-N), v5p-N, v6e-N');
    expect(result.err).not.toContain('did you mean');
  });
});

describe('machine types', () => {
  it('an N1 size that does not exist gets the next larger one, never a smaller one', async () => {
    const result = await validate(vertexSpec({ resources: { workers: { machineType: 'n1-standard-46' } } }));
    expect(result.code).toBe(2);
    expect(result.err).toContain('did you mean "n1-standard-64"?');
  });

  it('an A2 shape that does not exist gets the next larger one', async () => {
    const result = await validate(vertexSpec({ resources: { workers: { machineType: 'a2-highgpu-3g' } } }));
    expect(result.err).toContain('did you mean "a2-highgpu-4g"?');
  });

  it('closestNotSmaller keeps typo fixes of the same size', () => {
    expect(closestNotSmaller('n1-standrad-8', ['n1-standard-4', 'n1-standard-8', 'n1-standard-16'])).toBe(
      'n1-standard-8',
    );
    expect(closestNotSmaller('v4-9000', ['v4-8', 'v4-4096'])).toBeUndefined();
  });
});
