/**
 * Standing machines as the machine providers find and judge them: the stack
 * state beside `infra/` (from the spec's folder up), the construct's
 * resources (a GpuVms group's children, a TpuSlice itself), a clear error
 * naming what exists when the id is wrong; the agent mark; the work keys a
 * hand-over sets and a take-back clears.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { STATE_VERSION } from '../../../../src/infra/state.ts';
import {
  carriesAgent,
  findStandingResources,
  parseStandingRef,
  withoutWork,
  workOf,
} from '../../../../src/providers/machines/standing.ts';

const project = mkdtempSync(join(tmpdir(), 'strato-standing-unit-'));
afterAll(() => rmSync(project, { recursive: true, force: true }));

const resource = (id: string, kind: string, name: string) => ({
  id,
  kind,
  props: {},
  ref: { project: 'p', location: 'us-central1-a', name },
  outputs: {},
  dependsOn: [],
});
mkdirSync(join(project, 'infra', '.strato', 'infra'), { recursive: true });
mkdirSync(join(project, 'jobs', 'nightly'), { recursive: true });
writeFileSync(
  join(project, 'infra', '.strato', 'infra', 'lab.state.json'),
  JSON.stringify({
    version: STATE_VERSION,
    stack: 'lab',
    serial: 3,
    updatedAt: new Date().toISOString(),
    resources: [
      resource('gpus/gpus-0', 'compute.instance', 'lab-gpus-gpus-0'),
      resource('gpus/gpus-1', 'compute.instance', 'lab-gpus-gpus-1'),
      resource('gpusx/gpusx-0', 'compute.instance', 'lab-gpusx-gpusx-0'),
      resource('net', 'compute.network', 'lab-net'),
    ],
  }),
);
const what = { field: 'provider.vms', construct: 'GpuVms' };

describe('standing machines in a stack state', () => {
  it('GIVEN a spec in a sub-folder THEN the state beside infra/ up the tree is read, and only the construct’s own resources come back', async () => {
    const found = await findStandingResources(
      parseStandingRef('lab/gpus'),
      'compute.instance',
      what,
      join(project, 'jobs', 'nightly'),
    );
    expect(found.map((r) => r.ref.name)).toEqual(['lab-gpus-gpus-0', 'lab-gpus-gpus-1']);
  });

  it('GIVEN an id the stack has not THEN E_NOT_FOUND naming the ones it has', async () => {
    await expect(
      findStandingResources(parseStandingRef('lab/gpu'), 'compute.instance', what, project),
    ).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: 'provider.vms: stack "lab" has no deployed GpuVms "gpu"',
      hint: 'use one of: lab/gpus, lab/gpusx',
    });
  });

  it('GIVEN a stack never deployed THEN E_NOT_FOUND saying to deploy it', async () => {
    await expect(
      findStandingResources(parseStandingRef('other/gpus'), 'compute.instance', what, project),
    ).rejects.toMatchObject({ code: 'E_NOT_FOUND', hint: expect.stringContaining('strato infra deploy') });
  });
});

describe('the agent mark and the work keys', () => {
  it('carries the agent only with strato-standing TRUE and Strato’s script', () => {
    expect(carriesAgent({ 'strato-standing': 'TRUE', 'startup-script': '…strato-startup: …' })).toBe(true);
    expect(carriesAgent({ 'strato-standing': 'true', 'startup-script': '…strato-startup: …' })).toBe(true);
    expect(carriesAgent({ 'startup-script': '…strato-startup: …' })).toBe(false);
    expect(carriesAgent({ 'strato-standing': 'TRUE', 'startup-script': 'echo mine' })).toBe(false);
  });

  it('reads the job a machine works for, and clears every work key but nothing else', () => {
    const busy = {
      'strato-standing': 'TRUE',
      team: 'ml',
      'strato-job': 'j1',
      'strato-attempt': '2',
      'strato-control': 'gs://b/runs/j1/attempts/2/',
      'strato-storage-api': 'http://127.0.0.1:1',
      'strato-launch': '{}',
      'strato-replica': 'worker-0',
    };
    expect(workOf(busy)).toEqual({ jobId: 'j1', attempt: 2 });
    expect(withoutWork(busy)).toEqual({ 'strato-standing': 'TRUE', team: 'ml' });
    expect(workOf(withoutWork(busy))).toBeUndefined();
  });
});
