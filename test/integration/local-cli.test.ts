/** `strato submit / status / logs / list / cancel` in-process, each call as a separate "later process" would make it. */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { dockerEngineAnswers } from '../../src/providers/local/docker.ts';
import { expectNothingSurvives, shellSpec, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-cli-');
afterAll(() => home.remove());
const env = { ...process.env, STRATO_HOME: home.path };

async function strato(...argv: string[]) {
  const io = bufferIo({ env });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

function specFile(name: string, script: string): string {
  const path = join(home.path, `${name}.yaml`);
  // JSON is YAML.
  writeFileSync(path, JSON.stringify(shellSpec(script, { name })));
  return path;
}

describe('job commands', () => {
  it('submit returns the id at once; status, logs, list and cancel work on it later', async () => {
    const submitted = await strato(
      'submit',
      specFile('cli-demo', 'echo "hello from $STRATO_ROLE-$STRATO_REPLICA_INDEX"; sleep 30'),
    );
    expect(submitted.code).toBe(0);
    const id = submitted.stdout.trim();
    expect(id).toMatch(/^cli-demo-[0-9a-z]{6}$/);

    await waitFor(async () => (await strato('status', id)).stdout.includes('RUNNING'), 'RUNNING');
    const status = await strato('status', id);
    expect(status.stdout).toContain(`Job ${id}: RUNNING`);
    expect(status.stdout).toMatch(/worker-1\s+RUNNING\s+\d+/);

    await waitFor(
      async () => (await strato('logs', id)).stdout.includes('[worker-1] hello from worker-1'),
      'log line',
    );
    const one = await strato('logs', id, '--replica', 'worker-0');
    expect(one.stdout.trim()).toBe('hello from worker-0');

    const list = await strato('list');
    expect(list.stdout).toMatch(new RegExp(`${id}\\s+RUNNING\\s+local\\s+multi-worker-mirrored\\s+2`));

    const cancelled = await strato('cancel', id);
    expect(cancelled.stdout.trim()).toBe(`${id}: CANCELLED`);
    expect((await strato('cancel', id)).stdout.trim()).toBe(`${id} had already ended: CANCELLED`);
    const json = JSON.parse((await strato('status', id, '--json')).stdout) as { record: { jobDir: string } };
    await expectNothingSurvives(json.record.jobDir);
  });

  it('an unknown job id exits 2 and lists the ids that exist', async () => {
    const known = (await strato('list', '--json')).stdout.trim().split('\n')[0]!;
    const { id } = JSON.parse(known) as { id: string };
    for (const command of ['status', 'logs', 'cancel']) {
      const result = await strato(command, 'no-such-job-000000');
      expect(result.code).toBe(2);
      expect(result.stderr).toContain('error: no job "no-such-job-000000"');
      expect(result.stderr).toContain(`jobs that exist: ${id}`);
    }
  });

  it('logs --replica with a replica the job does not have exits 2 naming the replicas', async () => {
    const { id } = JSON.parse((await strato('list', '--json')).stdout.trim().split('\n')[0]!) as {
      id: string;
    };
    const result = await strato('logs', id, '--replica', 'worker-9');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('replicas: worker-0, worker-1');
  });

  it.skipIf(dockerEngineAnswers())(
    '--docker where no Docker engine answers is refused before anything starts',
    async () => {
      const result = await strato('submit', '--docker', specFile('cli-docker', 'true'));
      expect(result.code).toBe(1);
      expect(result.stderr).toContain('error: --docker: no Docker engine answers on this machine');
      expect(result.stderr).toContain('hint: start Docker');
    },
  );
});
