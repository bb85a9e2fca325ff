import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processesInGroup } from '../../../../src/providers/local/proc.ts';
import { type ReplicaProcessSpec, startReplicaGroup } from '../../../../src/providers/local/replica-group.ts';
import { tempDir, waitFor } from '../../../support/local.ts';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

function replica(name: string, script: string, patch: Partial<ReplicaProcessSpec> = {}): ReplicaProcessSpec {
  const dir = tempDir('strato-group-');
  dirs.push(dir);
  return {
    name,
    command: ['sh', '-c', script],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', REPLICA: name },
    cwd: dir.path,
    exitPolicy: 'must-succeed',
    runsProgram: true,
    logFile: join(dir.path, `${name}.log`),
    ...patch,
  };
}

const gone = (pids: (number | undefined)[]) =>
  pids.every((pid) => pid === undefined || processesInGroup(pid).length === 0);

describe('startReplicaGroup', () => {
  it('runs each replica in its own process group with exactly the given env, logs to its file', async () => {
    const specs = [
      replica(
        'worker-0',
        'echo "I am $REPLICA in $(cut -d" " -f5 /proc/$$/stat), home $(printenv HOME || echo unset)"',
      ),
      replica('worker-1', 'echo "$REPLICA"'),
    ];
    const group = startReplicaGroup(specs, { graceMs: 1000 });
    const result = await group.done;
    expect(result).toMatchObject({ kind: 'outcome', outcome: { kind: 'succeeded' } });
    const log = readFileSync(specs[0]!.logFile!, 'utf8');
    expect(log.trim()).toBe(`I am worker-0 in ${group.replicas[0]!.pid}, home unset`);
    expect(group.replicas[0]!.pgid).toBe(group.replicas[0]!.pid);
  });

  it('a failing replica fails the group, naming it; the others are stopped within the grace period', async () => {
    const started = Date.now();
    const group = startReplicaGroup(
      [replica('worker-0', 'sleep 30'), replica('worker-1', 'echo boom >&2; exit 3')],
      { graceMs: 500 },
    );
    const result = await group.done;
    expect(result).toMatchObject({
      kind: 'outcome',
      outcome: { kind: 'failed', replica: 'worker-1', code: 3 },
    });
    expect(group.replicas[0]!.exit).toMatchObject({ stoppedByUs: true, signal: 'SIGTERM' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(gone(group.replicas.map((r) => r.pgid))).toBe(true);
  });

  it('a replica that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    // worker-1 fails only once worker-0 ignores SIGTERM: on a loaded machine its shell may not have run `trap` yet.
    const marks = tempDir('strato-group-marks-');
    dirs.push(marks);
    const trapped = join(marks.path, 'trapped');
    const group = startReplicaGroup(
      [
        replica('worker-0', `trap "" TERM; touch ${trapped}; while true; do sleep 0.1; done`),
        replica('worker-1', `while [ ! -e ${trapped} ]; do sleep 0.05; done; exit 1`),
      ],
      { graceMs: 300 },
    );
    await group.done;
    expect(group.replicas[0]!.exit?.signal).toBe('SIGKILL');
    expect(gone(group.replicas.map((r) => r.pgid))).toBe(true);
  });

  it('a command that does not exist fails at once with a clear error', async () => {
    const started = Date.now();
    const group = startReplicaGroup(
      [replica('worker-0', '', { command: ['no-such-program-strato'] }), replica('worker-1', 'sleep 30')],
      { graceMs: 500 },
    );
    const result = await group.done;
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(result).toMatchObject({
      kind: 'outcome',
      outcome: { kind: 'failed', replica: 'worker-0', code: 127 },
    });
    expect(group.replicas[0]!.exit?.startError).toContain('command not found: no-such-program-strato');
  });

  it('parameter-server: the chief ending ends the group; servers that never exit are stopped', async () => {
    const group = startReplicaGroup(
      [
        replica('chief-0', 'sleep 0.2'),
        replica('worker-0', 'sleep 30', { exitPolicy: 'runs-until-end' }),
        replica('ps-0', 'sleep 30', { exitPolicy: 'runs-until-end' }),
      ],
      { graceMs: 500 },
    );
    const result = await group.done;
    expect(result).toMatchObject({ kind: 'outcome', outcome: { kind: 'succeeded' } });
    expect(group.replicas.slice(1).map((r) => r.exit?.stoppedByUs)).toEqual([true, true]);
  });

  it("leaves none of a replica's own children behind", async () => {
    const group = startReplicaGroup([replica('worker-0', 'sleep 30 & sleep 30 & exit 0')], { graceMs: 500 });
    await group.done;
    expect(gone([group.replicas[0]!.pgid])).toBe(true);
  });

  it('stop() ends everything and reports it stopped', async () => {
    const group = startReplicaGroup([replica('worker-0', 'sleep 30'), replica('worker-1', 'sleep 30')], {
      graceMs: 500,
    });
    await waitFor(() => group.replicas.every((r) => r.pid !== undefined), 'replicas started');
    const result = await group.stop('test says stop');
    expect(result).toMatchObject({ kind: 'stopped', reason: 'test says stop' });
    expect(gone(group.replicas.map((r) => r.pgid))).toBe(true);
  });
});
