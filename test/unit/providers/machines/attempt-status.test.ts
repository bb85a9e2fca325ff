/** An attempt's status from machine facts and control objects: the facts the restart rule reads. */

import { describe, expect, it } from 'vitest';
import type { ExitRecord } from '../../../../src/agent/layout.ts';
import {
  type AttemptInput,
  attemptStatus,
  type MachineFact,
} from '../../../../src/providers/machines/attempt-status.ts';
import type { ControlSnapshot } from '../../../../src/providers/machines/control.ts';
import type { MachineReplica } from '../../../../src/providers/machines/replicas.ts';

const worker = (index: number, extra: Partial<MachineReplica> = {}): MachineReplica => ({
  name: `worker-${index}`,
  role: 'worker',
  index,
  exitPolicy: 'must-succeed',
  runsProgram: true,
  env: {},
  ...extra,
});

function snapshot(parts: Partial<ControlSnapshot> = {}): ControlSnapshot {
  return { logs: new Map(), exits: new Map(), booted: new Set(), ...parts };
}

function exits(...records: Omit<ExitRecord, 'endedAt'>[]): Map<string, ExitRecord> {
  return new Map(records.map((r) => [r.replica, { endedAt: '2026-12-03T05:00:00Z', ...r }]));
}

function input(
  control: ControlSnapshot,
  machines: Record<string, MachineFact['state']> = {},
  replicas = [worker(0), worker(1)],
): AttemptInput {
  return {
    attempt: 1,
    replicas,
    restarts: [],
    control,
    machineOf: (r) => ({
      state: machines[r.name] ?? 'running',
      machine: `vm-${r.name}`,
      detail: 'TERMINATED',
    }),
  };
}

describe('attemptStatus', () => {
  it('GIVEN VMs still creating THEN QUEUED, saying how many replicas it waits for', () => {
    const status = attemptStatus(input(snapshot(), { 'worker-0': 'creating', 'worker-1': 'creating' }));
    expect(status).toMatchObject({ state: 'QUEUED', message: 'waiting for 2 of 2 replica(s) to start' });
    expect(status.outcome).toBeUndefined();
  });

  it('GIVEN every replica logging THEN RUNNING', () => {
    const logs = new Map([
      ['worker-0', { key: 'a', size: 1 }],
      ['worker-1', { key: 'b', size: 1 }],
    ]);
    expect(attemptStatus(input(snapshot({ logs }))).state).toBe('RUNNING');
  });

  it('GIVEN every must-succeed replica exited 0 THEN succeeded, whatever a server did after', () => {
    const ps: MachineReplica = { ...worker(0), name: 'ps-0', role: 'ps', exitPolicy: 'runs-until-end' };
    const status = attemptStatus(
      input(snapshot({ exits: exits({ replica: 'worker-0', exitCode: 0 }) }), { 'ps-0': 'gone' }, [
        worker(0),
        ps,
      ]),
    );
    expect(status).toMatchObject({ state: 'SUCCEEDED', outcome: { kind: 'succeeded' } });
  });

  it.each([143, 42])('GIVEN a replica exited %i THEN failed as a preemption', (code) => {
    const status = attemptStatus(input(snapshot({ exits: exits({ replica: 'worker-1', exitCode: code }) })));
    expect(status).toMatchObject({
      state: 'FAILED',
      outcome: { kind: 'failed', preempted: true, replica: 'worker-1', exitCode: code },
    });
    expect(status.outcome).toMatchObject({ cause: expect.stringContaining(String(code)) });
  });

  it('GIVEN a VM that rebooted under its replica THEN a preemption', () => {
    const status = attemptStatus(
      input(snapshot({ exits: exits({ replica: 'worker-0', exitCode: 0, rebooted: true }) }), {}, [
        worker(0),
      ]),
    );
    // A rebooted replica's 0 is not a success: the program did not finish.
    expect(status.outcome).toMatchObject({
      kind: 'failed',
      preempted: true,
      cause: expect.stringMatching(/rebooted/),
    });
  });

  it('GIVEN a machine gone without an exit record THEN a preemption naming the machine', () => {
    const status = attemptStatus(input(snapshot(), { 'worker-1': 'gone' }));
    expect(status).toMatchObject({
      state: 'FAILED',
      outcome: { kind: 'failed', preempted: true, replica: 'worker-1' },
    });
    expect(status.error?.message).toMatch(/vm-worker-1 is TERMINATED/);
  });

  it('GIVEN a user error THEN failed, not preempted, with the last lines', () => {
    const status = attemptStatus(
      input(
        snapshot({
          exits: exits({ replica: 'worker-0', exitCode: 3, lastLines: ['Traceback', 'ValueError'] }),
        }),
      ),
    );
    expect(status).toMatchObject({
      state: 'FAILED',
      outcome: { kind: 'failed', preempted: false, exitCode: 3 },
      error: { replica: 'worker-0', exitCode: 3, lastLines: ['Traceback', 'ValueError'] },
    });
  });

  it('GIVEN a crash and a preempted peer at the same look THEN the preemption wins', () => {
    const status = attemptStatus(
      input(snapshot({ exits: exits({ replica: 'worker-0', exitCode: 1 }) }), { 'worker-1': 'gone' }),
    );
    expect(status.outcome).toMatchObject({ preempted: true, replica: 'worker-1' });
  });

  it('GIVEN the cancel marker THEN CANCELLED, machines gone or not, and no outcome', () => {
    const status = attemptStatus(
      input(snapshot({ cancelled: { reason: 'by request' } }), { 'worker-0': 'gone' }),
    );
    expect(status).toMatchObject({ state: 'CANCELLED', message: 'cancelled: by request' });
    expect(status.outcome).toBeUndefined();
    expect(status.replicas.map((r) => r.state)).toEqual(['STOPPED', 'STOPPED']);
  });

  it('GIVEN an idle TPU host THEN IDLE, and the job waits only for the host that runs the program', () => {
    const idle = {
      ...worker(1),
      name: 'tpu-host-1',
      runsProgram: false,
      exitPolicy: 'runs-until-end' as const,
    };
    const host0 = { ...worker(0), name: 'tpu-host-0' };
    const logs = new Map([['tpu-host-0', { key: 'a', size: 1 }]]);
    const status = attemptStatus(input(snapshot({ logs }), {}, [host0, idle]));
    expect(status.state).toBe('RUNNING');
    expect(status.replicas.map((r) => r.state)).toEqual(['RUNNING', 'IDLE']);
  });
});
