/**
 * `strato explain` shows what a launch would cost (issue 18, item 3): where,
 * spot or on-demand, machines × list price per hour from the catalog's
 * price table, the total, and `scheduling.maxCostUsd`; a machine the table
 * does not know is named, never priced by a guess; local costs nothing.
 */

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferIo } from '../../../src/cli/io.ts';
import { main } from '../../../src/cli/main.ts';
import { MACHINE_PRICES, TPU_CHIP_PRICES } from '../../../src/spec/catalog/prices.ts';
import type { JobSpecInput } from '../../../src/spec/schema.ts';
import { baseSpec, tpuSpec, vertexSpec, withField } from '../../support/specs.ts';

const dir = mkdtempSync(join(tmpdir(), 'strato-explain-cost-'));
let files = 0;

async function explain(spec: JobSpecInput, ...flags: string[]) {
  const file = join(dir, `spec-${++files}.yaml`);
  writeFileSync(file, JSON.stringify(spec)); // JSON is YAML
  const io = bufferIo();
  const code = await main(['explain', file, ...flags], io);
  return { code, out: io.stdout, err: io.stderr };
}

const usd = (n: number) => `$${n.toFixed(2)}/h`;

/** Eight A100 machines training with MultiWorkerMirroredStrategy on Vertex. */
function eightA100s(spot: boolean): JobSpecInput {
  return vertexSpec({
    strategy: 'multi-worker-mirrored',
    resources: { workers: { replicas: 8, machineType: 'a2-highgpu-1g' } },
    scheduling: { spot },
  });
}

describe('explain: the cost of a launch', () => {
  const a2 = MACHINE_PRICES['a2-highgpu-1g']!;

  it('GIVEN 8 × a2-highgpu-1g on-demand THEN the region, each price and the on-demand total', async () => {
    const { code, out } = await explain(eightA100s(false));
    expect(code).toBe(0);
    expect(out).toContain('Cost:     vertex us-central1, on-demand');
    expect(out).toMatch(
      new RegExp(
        `worker +8 × a2-highgpu-1g.* +\\${usd(a2.onDemandUsd)} × 8 = \\${usd(8 * a2.onDemandUsd)} +\\${usd(a2.spotUsd!)} × 8`,
      ),
    );
    expect(out).toContain(
      `total: ${usd(8 * a2.onDemandUsd)} on-demand (spot would be ${usd(8 * a2.spotUsd!)})`,
    );
  });

  it('GIVEN the same machines on spot THEN the spot total is the one charged', async () => {
    const { out } = await explain(eightA100s(true));
    expect(out).toContain('Cost:     vertex us-central1, spot');
    expect(out).toContain(
      `total: ${usd(8 * a2.spotUsd!)} spot (on-demand would be ${usd(8 * a2.onDemandUsd)})`,
    );
  });

  it('GIVEN a TPU v4-32 pod slice (4 hosts) THEN the slice is priced once, per chip-hour × 16 chips, in its zone', async () => {
    const { out } = await explain(tpuSpec('v4-32', 'tpu-vm-tf-2.16.1-pod-pjrt'));
    const v4 = TPU_CHIP_PRICES.v4;
    expect(out).toContain('Cost:     tpu-vm us-central2-b, on-demand');
    expect(out).toMatch(
      new RegExp(`tpu-host +1 × TPU v4-32 slice \\(16 chips\\) +\\${usd(16 * v4.onDemandUsd)}`),
    );
    expect(out).toContain(`total: ${usd(16 * v4.onDemandUsd)} on-demand`);
  });

  it('GIVEN a region the price table was not read in THEN a note says whose prices these are', async () => {
    const { out } = await explain(withField(eightA100s(false), 'provider.region', 'europe-west4'));
    expect(out).toContain('Cost:     vertex europe-west4, on-demand');
    expect(out).toContain("note:  prices are us-central1's list prices; europe-west4's may differ");
    const { out: central } = await explain(eightA100s(false));
    expect(central).not.toContain('note:');
  });

  it('GIVEN scheduling.maxCostUsd THEN the cap and how long it lasts at this rate', async () => {
    const { out } = await explain(withField(eightA100s(true), 'scheduling.maxCostUsd', 12));
    const hours = Number((12 / (8 * a2.spotUsd!)).toFixed(1));
    expect(out).toContain(
      `cap:   scheduling.maxCostUsd = 12: cancelled when the estimated spend reaches it (about ${hours} h`,
    );
  });

  it('GIVEN a machine the price table does not have THEN "price unknown for" it and no total', async () => {
    const spec = vertexSpec({ resources: { workers: { machineType: 'n2-standard-8' } } });
    expect(MACHINE_PRICES['n2-standard-8']).toBeUndefined();
    const { code, out } = await explain(spec);
    expect(code).toBe(0);
    expect(out).toContain('price unknown for n2-standard-8');
    expect(out).toContain('total: unknown');
    expect(out).not.toMatch(/total: \$/);
  });

  it('GIVEN a cap on a machine with no price THEN the spec is refused: the cap could not be kept', async () => {
    const spec = vertexSpec({
      resources: { workers: { machineType: 'n2-standard-8' } },
      scheduling: { maxCostUsd: 5 },
    });
    const { code, err } = await explain(spec);
    expect(code).toBe(2);
    expect(err).toContain('scheduling.maxCostUsd: cannot be kept: price unknown for n2-standard-8');
  });

  it('GIVEN the local provider THEN no price, "local: no cost", and a cap is only a warning', async () => {
    const { code, out } = await explain(baseSpec({ scheduling: { maxCostUsd: 1 } }));
    expect(code).toBe(0);
    expect(out).toContain('Cost:     local: no cost');
    expect(out).not.toContain('/h');
    expect(out).toContain('warning: scheduling.maxCostUsd: has no effect on the local provider');
  });

  it('GIVEN --json THEN the cost is an object beside the plan', async () => {
    const { out } = await explain(eightA100s(true), '--json');
    const cost = JSON.parse(out).cost;
    expect(cost).toMatchObject({ provider: 'vertex', location: 'us-central1', spot: true, unknown: [] });
    expect(cost.hourlyUsd).toBeCloseTo(8 * a2.spotUsd!, 6);
    expect(cost.groups).toEqual([
      {
        role: 'worker',
        count: 8,
        machine: 'a2-highgpu-1g',
        unit: { onDemandUsd: a2.onDemandUsd, spotUsd: a2.spotUsd },
      },
    ]);
  });
});
