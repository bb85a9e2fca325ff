/**
 * `stratoJobs: true` on GpuVms and TpuSlice: the agent goes on the machines
 * (Strato's startup script from src/agent, `strato-standing: TRUE`, and on
 * GCE the guest attributes it reports on); without it nothing of Strato's is
 * there; with a user startup script it is refused, saying what to drop.
 */

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { METADATA_KEYS } from '../../../../src/agent/layout.ts';
import { SpecError } from '../../../../src/errors.ts';
import { Stack } from '../../../../src/infra/construct.ts';
import { GpuVms, type GpuVmsPropsInput } from '../../../../src/infra/gcp/gpu-vms.ts';
import { TpuSlice } from '../../../../src/infra/gcp/tpu-slice.ts';

const SCRIPT = readFileSync(new URL('../../../../src/agent/startup-script.sh', import.meta.url), 'utf8');

function issuesOf(build: () => unknown): SpecError['issues'] {
  try {
    build();
  } catch (error) {
    if (error instanceof SpecError) return error.issues;
    throw error;
  }
  throw new Error('expected a SpecError');
}

const gpuVms = (props: Partial<GpuVmsPropsInput>) =>
  new GpuVms(new Stack('lab', { project: 'p', zone: 'us-central1-a' }), 'gpus', {
    count: 2,
    machineType: 'g2-standard-8',
    ...props,
  } as GpuVmsPropsInput);
const slice = (props: Record<string, unknown>) =>
  new TpuSlice(new Stack('lab', { project: 'p', zone: 'us-central2-b' }), 'pod', {
    acceleratorType: 'v4-32',
    runtimeVersion: 'tpu-vm-tf-2.16.1-pod-pjrt',
    ...props,
  });

describe('GpuVms stratoJobs', () => {
  it('GIVEN stratoJobs: true THEN every VM carries the agent script, strato-standing and guest attributes, beside its own metadata', () => {
    for (const vm of gpuVms({ stratoJobs: true, metadata: { team: 'ml' } }).instances) {
      expect(vm.props.metadata).toEqual({
        team: 'ml',
        [METADATA_KEYS.startupScript]: SCRIPT,
        [METADATA_KEYS.standing]: 'TRUE',
        [METADATA_KEYS.guestAttributes]: 'TRUE',
      });
    }
  });

  it('GIVEN no stratoJobs THEN nothing of the agent is on the VMs', () => {
    expect(gpuVms({}).instances[0]!.props.metadata).toEqual({});
  });

  it('GIVEN stratoJobs with a startupScript (or one in metadata) THEN refused, saying what to drop', () => {
    for (const props of [
      { stratoJobs: true, startupScript: 'echo hi' },
      { stratoJobs: true, metadata: { 'startup-script': 'echo hi' } },
    ]) {
      expect(issuesOf(() => gpuVms(props))).toEqual([
        expect.objectContaining({
          path: 'gpus.startupScript',
          received: 'echo hi',
          fix: 'drop startupScript (run that work as a job on the VMs), or drop stratoJobs',
        }),
      ]);
    }
  });
});

describe('TpuSlice stratoJobs', () => {
  it('GIVEN stratoJobs: true THEN the slice runs the agent script on every worker, marked standing; the prop itself is not kept', () => {
    const props = slice({ stratoJobs: true, metadata: { team: 'ml' } }).props;
    expect(props.startupScript).toBe(SCRIPT);
    expect(props.metadata).toEqual({ team: 'ml', [METADATA_KEYS.standing]: 'TRUE' });
    // What the cloud reads back has no such field: a plan shows no drift for it.
    expect('stratoJobs' in props).toBe(false);
  });

  it('GIVEN no stratoJobs THEN no agent', () => {
    const props = slice({}).props;
    expect(props.startupScript).toBeUndefined();
    expect(props.metadata).toEqual({});
  });

  it('GIVEN stratoJobs with a startupScript THEN refused, saying what to drop', () => {
    expect(issuesOf(() => slice({ stratoJobs: true, startupScript: 'echo hi' }))).toEqual([
      expect.objectContaining({
        path: 'startupScript',
        fix: 'drop startupScript (run that work as a job on the slice), or drop stratoJobs',
      }),
    ]);
  });
});
