/**
 * Findings 3 and 4 of the hardening issue: one malformed job record broke
 * `strato list` for every job ("bug in Strato"), records with missing fields
 * crashed `status` and `cancel`, and a running job whose `job.json` or
 * `supervisor.json` was damaged vanished from `list` and could not be
 * cancelled; following the printed hint (remove the folder) left its
 * processes running with nothing able to see them.
 */

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bufferIo } from '../../src/cli/io.ts';
import { main } from '../../src/cli/main.ts';
import { isProcessAlive } from '../../src/providers/local/proc.ts';
import { shellSpec, survivingProcesses, tempDir, waitFor } from '../support/local.ts';

const home = tempDir('strato-damaged-');
afterAll(() => home.remove());
const env = { ...process.env, STRATO_HOME: home.path };

async function strato(...argv: string[]) {
  const io = bufferIo({ env });
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

async function submit(name: string, script: string): Promise<{ id: string; jobDir: string }> {
  const file = join(home.path, `${name}.yaml`);
  writeFileSync(file, JSON.stringify(shellSpec(script, { name })));
  const result = await strato('submit', file);
  expect(result.code).toBe(0);
  const id = result.stdout.trim();
  return { id, jobDir: join(home.path, 'jobs', id) };
}

const recordOf = (jobDir: string) => join(jobDir, 'job.json');

function expectNoBugReport(result: { stdout: string; stderr: string }) {
  expect(result.stderr).not.toMatch(/bug in Strato|TypeError|at .*\.ts:\d+/);
}

describe('damaged job records', () => {
  it('GIVEN a record of {} WHEN listing THEN the others are listed and the damaged one is named, not hidden', async () => {
    const good = await submit('good-job', 'exit 0');
    const bad = await submit('empty-record', 'exit 0');
    await waitFor(
      async () => (await strato('status', bad.id)).stdout.includes('SUCCEEDED'),
      'the job to end',
    );
    // SUCCEEDED is read from the replicas' exits; the supervisor process leaves a moment later.
    await waitFor(() => survivingProcesses(bad.jobDir).length === 0, 'the supervisor to exit');
    writeFileSync(recordOf(bad.jobDir), '{}\n');

    const list = await strato('list');
    expectNoBugReport(list);
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(good.id);
    expect(list.stdout).toMatch(new RegExp(`${bad.id}\\s+DAMAGED`));
    expect(list.stderr).toContain(`job ${bad.id}`);
    expect(list.stderr).toContain(`strato cancel --force ${bad.id}`);

    const json = (await strato('list', '--json')).stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(json.find((r) => r.id === bad.id)).toMatchObject({ state: 'DAMAGED', runningProcesses: 0 });

    for (const command of ['status', 'cancel', 'logs']) {
      const result = await strato(command, bad.id);
      expectNoBugReport(result);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain(`job ${bad.id}`);
      expect(result.stderr).toContain('cancel --force');
    }
  });

  it('GIVEN a record missing fields or with wrong types THEN status and cancel say which field, by job id', async () => {
    const job = await submit('missing-fields', 'exit 0');
    await waitFor(
      async () => (await strato('status', job.id)).stdout.includes('SUCCEEDED'),
      'the job to end',
    );
    const record = JSON.parse(readFileSync(recordOf(job.jobDir), 'utf8'));
    delete record.createdAt;
    record.handle = 'nope';
    writeFileSync(recordOf(job.jobDir), JSON.stringify(record));
    for (const command of ['status', 'cancel']) {
      const result = await strato(command, job.id);
      expectNoBugReport(result);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/createdAt/);
      expect(result.stderr).toMatch(/handle/);
    }
    writeFileSync(recordOf(job.jobDir), 'not json{');
    const status = await strato('status', job.id);
    expectNoBugReport(status);
    expect(status.stderr).toContain(`job ${job.id}`);
  });

  for (const damaged of ['job.json', 'supervisor.json'] as const) {
    it(`GIVEN a running job whose ${damaged} is damaged THEN list still shows it and cancel --force stops every process`, async () => {
      const job = await submit(
        `running-${damaged.replace('.json', '').replace('.', '')}`,
        'echo up; sleep 120',
      );
      await waitFor(async () => (await strato('status', job.id)).stdout.includes('RUNNING'), 'RUNNING');
      const processes = await waitFor(() => {
        const alive = survivingProcesses(job.jobDir);
        return alive.length >= 3 && alive; // supervisor + 2 replicas (+ watchdog)
      }, 'the processes of the job');
      writeFileSync(join(job.jobDir, damaged), '{"version": 1, "state": "RUN');

      const list = await strato('list');
      expectNoBugReport(list);
      expect(list.code).toBe(0);
      expect(list.stdout).toContain(job.id);
      if (damaged === 'job.json')
        expect(list.stdout).toMatch(new RegExp(`${job.id}\\s+DAMAGED \\(running\\)`));
      expect(list.stderr).toContain(job.id);

      const plain = await strato('cancel', job.id);
      expectNoBugReport(plain);
      expect(plain.stderr).toContain(`strato cancel --force ${job.id}`);

      const forced = await strato('cancel', '--force', job.id);
      expectNoBugReport(forced);
      expect(forced.code).toBe(0);
      expect(forced.stdout).toMatch(new RegExp(`${job.id}: .*[3-9] processes stopped`));
      await waitFor(
        () => processes.every((pid) => !isProcessAlive(pid)),
        'every process of the job to end',
        10_000,
      );
    });
  }
});
