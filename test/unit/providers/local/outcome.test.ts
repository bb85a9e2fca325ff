import { describe, expect, it } from 'vitest';
import { decideOutcome, isPreemption, type ReplicaExit } from '../../../../src/providers/local/outcome.ts';

const running = (name: string, exitPolicy: ReplicaExit['exitPolicy'] = 'must-succeed'): ReplicaExit => ({
  name,
  exitPolicy,
  runsProgram: true,
});
const exited = (
  replica: ReplicaExit,
  code: number | null,
  signal: NodeJS.Signals | null = null,
  stoppedByUs = false,
): ReplicaExit => ({ ...replica, exit: { code, signal, stoppedByUs } });

describe('decideOutcome', () => {
  it('keeps running while a must-succeed replica runs', () => {
    expect(decideOutcome([exited(running('worker-0'), 0), running('worker-1')])).toBeUndefined();
  });

  it('succeeds when every must-succeed replica (every worker of multi-worker) exited 0', () => {
    expect(decideOutcome([exited(running('worker-0'), 0), exited(running('worker-1'), 0)])).toEqual({
      kind: 'succeeded',
    });
  });

  it('parameter-server: the chief exiting 0 ends the job while ps and workers still run', () => {
    const replicas = [
      exited(running('chief-0'), 0),
      running('worker-0', 'runs-until-end'),
      running('ps-0', 'runs-until-end'),
    ];
    expect(decideOutcome(replicas)).toEqual({ kind: 'succeeded' });
  });

  it('a runs-until-end replica exiting 0 early is fine', () => {
    expect(decideOutcome([running('chief-0'), exited(running('ps-0', 'runs-until-end'), 0)])).toBeUndefined();
  });

  it('a non-zero exit of any replica fails the job and names it', () => {
    const outcome = decideOutcome([running('chief-0'), exited(running('ps-0', 'runs-until-end'), 3)]);
    expect(outcome).toEqual({ kind: 'failed', replica: 'ps-0', code: 3, signal: null });
  });

  it('death by signal, exit 143 and exit 42 count as preemption', () => {
    expect(decideOutcome([exited(running('worker-1'), null, 'SIGKILL'), running('worker-0')])?.kind).toBe(
      'preempted',
    );
    expect(decideOutcome([exited(running('worker-1'), 143)])?.kind).toBe('preempted');
    expect(decideOutcome([exited(running('worker-1'), 42)])?.kind).toBe('preempted');
    expect(isPreemption(1, null)).toBe(false);
  });

  it('replicas we stopped ourselves decide nothing', () => {
    expect(
      decideOutcome([running('worker-0'), exited(running('worker-1'), 143, null, true)]),
    ).toBeUndefined();
  });

  it('hosts that run nothing are ignored', () => {
    const idle: ReplicaExit = { name: 'tpu-host-1', exitPolicy: 'must-succeed', runsProgram: false };
    expect(decideOutcome([exited(running('tpu-host-0'), 0), idle])).toEqual({ kind: 'succeeded' });
  });
});
