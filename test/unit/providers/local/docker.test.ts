import { describe, expect, it } from 'vitest';
import { planJob } from '../../../../src/jobs/plan-job.ts';
import { dockerEngineAnswers, dockerRunCommand } from '../../../../src/providers/local/docker.ts';
import { parseJobSpec } from '../../../../src/spec/load.ts';

const spec = parseJobSpec({
  apiVersion: 'strato.dev/v1',
  kind: 'Job',
  name: 'dockerized',
  strategy: 'multi-worker-mirrored',
  container: { image: 'python:3.11-slim', command: ['python3', '-c'], args: ['print(1)'] },
  resources: { workers: { replicas: 2 } },
  data: [{ source: '/data/set', env: 'DATA_DIR' }],
});
const plan = planJob(spec, {
  runDir: 'file:///tmp/runs/dockerized',
  addressOf: (_role, index) => `127.0.0.1:${40000 + index}`,
});

describe('--docker', () => {
  it('runs each replica in the image with the same env, host network and the run dir mounted at the same path', () => {
    const command = dockerRunCommand('dockerized-abc123', plan, plan.replicas[1]!);
    expect(command.slice(0, 4)).toEqual(['docker', 'run', '--rm', '--init']);
    expect(command).toContain('--network');
    expect(command[command.indexOf('--network') + 1]).toBe('host');
    expect(command[command.indexOf('--name') + 1]).toBe('strato-dockerized-abc123-worker-1');
    expect(command).toContain('/tmp/runs/dockerized:/tmp/runs/dockerized');
    expect(command).toContain(`TF_CONFIG=${plan.replicas[1]!.env.TF_CONFIG}`);
    expect(command).toContain('AIP_CHECKPOINT_DIR=/tmp/runs/dockerized/checkpoints/');
    expect(command.slice(command.indexOf('--entrypoint'))).toEqual([
      '--entrypoint',
      'python3',
      'python:3.11-slim',
      '-c',
      'print(1)',
    ]);
  });

  it('needs container.image', () => {
    const bare = planJob(parseJobSpec({ ...spec, container: { command: ['true'] } }), {
      runDir: 'file:///tmp/r',
    });
    expect(() => dockerRunCommand('x-000000', bare, bare.replicas[0]!)).toThrow(/container.image/);
  });

  const engine = dockerEngineAnswers();
  it.skipIf(!engine)('runs a replica in a real container (where a Docker engine answers)', async () => {
    const { spawnSync } = await import('node:child_process');
    const hello = planJob(
      parseJobSpec({
        ...spec,
        container: { image: 'busybox', command: ['sh', '-c'], args: ['echo $STRATO_ROLE'] },
      }),
      { runDir: 'file:///tmp/strato-docker-test' },
    );
    const command = dockerRunCommand('docker-test-000000', hello, hello.replicas[0]!);
    const result = spawnSync(command[0]!, command.slice(1), { encoding: 'utf8', timeout: 120_000 });
    expect(result.stdout.trim()).toBe('worker');
  });
});
