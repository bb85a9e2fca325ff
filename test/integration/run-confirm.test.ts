/**
 * Cost and confirmation before launch (issue 18, item 3), the way a user
 * meets them: `strato run` as a process on a pseudo-terminal. Billable
 * machines are launched only after "y"; "n" or just Enter launch nothing
 * (no job record, no CustomJob on the fake Vertex, the run dir left
 * unclaimed); `--yes` skips the question; with no terminal and no `--yes`
 * the launch is refused, as `infra deploy` refuses. The fake Vertex is not
 * billable, so these runs set STRATO_ASK_ON_FAKE_CLOUD=1 to be asked as on
 * the real one — and one run without it checks that the fake is never asked
 * about. The local provider shows no cost and asks nothing.
 */

import { execFile } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVertexApi } from '../../src/providers/vertex/api.ts';
import { MACHINE_PRICES } from '../../src/spec/catalog/prices.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { REPO_ROOT, tempDir } from '../support/local.ts';
import { stratoOnTerminal } from '../support/pty.ts';

const BUCKET = 'confirm';
const work = tempDir('strato-confirm-');
let cloud: FakeCloud;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  cloud = await startFakeCloud({
    storage: { buckets: [BUCKET] },
    vertex: { cwd: REPO_ROOT, timing: { queuedMs: 50, pendingMs: 100, stopGraceMs: 5000 } },
  });
  env = { ...process.env, ...cloud.env, STRATO_HOME: join(work.path, 'home'), STRATO_ASK_ON_FAKE_CLOUD: '1' };
});
afterAll(async () => {
  await cloud?.close();
  work.remove();
});

/** Two spot A100 machines that each print a line and exit. */
function specFile(name: string): string {
  const file = join(work.path, `${name}.yaml`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'strato.dev/v1',
      kind: 'Job',
      name,
      strategy: 'multi-worker-mirrored',
      container: {
        image: 'us-docker.pkg.dev/my-project/strato/t:1',
        command: [process.execPath, '-e', 'console.log("trained")'],
      },
      resources: { workers: { replicas: 2, machineType: 'a2-highgpu-1g' } },
      output: `gs://${BUCKET}/runs/${name}`,
      scheduling: { spot: true },
      provider: { name: 'vertex', project: 'my-project', region: 'us-central1' },
    }),
  );
  return file;
}

const SPOT = 2 * MACHINE_PRICES['a2-highgpu-1g']!.spotUsd!;
const QUESTION = `Launch 2 × a2-highgpu-1g (spot) at ~$${SPOT.toFixed(2)}/h? [y/N]`;

async function customJobsNamed(name: string): Promise<number> {
  const api = await createVertexApi('my-project', 'us-central1', cloud.vertex!.clientOptions());
  return (await api.list('')).filter((job) => job.displayName.startsWith(`${name}-`)).length;
}

function jobRecords(): string[] {
  const jobs = join(env.STRATO_HOME!, 'jobs');
  return existsSync(jobs) ? readdirSync(jobs) : [];
}

async function expectNothingLaunched(name: string): Promise<void> {
  expect(jobRecords().filter((id) => id.startsWith(`${name}-`))).toEqual([]);
  expect(await customJobsNamed(name)).toBe(0);
  // The run dir claim was given back: a later run may use this output.
  const marker = await fetch(
    `${cloud.env.STORAGE_EMULATOR_HOST}/storage/v1/b/${BUCKET}/o/${encodeURIComponent(`runs/${name}/strato-job.json`)}`,
  );
  expect(marker.status).toBe(404);
}

describe('strato run of billable machines, on a terminal', () => {
  it('shows the cost, asks, and launches after "y"', { timeout: 120_000 }, async () => {
    const result = await stratoOnTerminal(['run', specFile('yes-answer')], {
      env,
      answer: { prompt: '[y/N]', text: 'y' },
    });
    expect(result.screen).toContain('Cost:     vertex us-central1, spot');
    expect(result.screen).toContain(`total: $${SPOT.toFixed(2)}/h spot`);
    expect(result.screen).toContain(QUESTION);
    expect(result.screen).toMatch(/yes-answer-\w+ SUCCEEDED/);
    expect(result.code).toBe(0);
    expect(await customJobsNamed('yes-answer')).toBe(1);
  });

  for (const [label, text] of [
    ['"n"', 'n'],
    ['just Enter', ''],
  ] as const) {
    it(`launches nothing after ${label}: exit 1, no job record, no CustomJob`, {
      timeout: 60_000,
    }, async () => {
      const name = `no-answer-${text || 'empty'}`;
      const result = await stratoOnTerminal(['run', specFile(name)], {
        env,
        answer: { prompt: '[y/N]', text },
      });
      expect(result.screen).toContain(QUESTION);
      expect(result.screen).toContain(`${name} was not launched: nothing was submitted`);
      expect(result.screen).not.toMatch(/^error:/m);
      expect(result.code).toBe(1);
      await expectNothingLaunched(name);
    });
  }

  it('--yes launches without asking', { timeout: 120_000 }, async () => {
    const result = await stratoOnTerminal(['run', specFile('yes-flag'), '--yes'], { env });
    expect(result.screen).toContain('Cost:     vertex us-central1, spot');
    expect(result.screen).not.toContain('[y/N]');
    expect(result.code).toBe(0);
    expect(await customJobsNamed('yes-flag')).toBe(1);
  });
});

describe('without a terminal', () => {
  const strato = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), ...args], {
      env: { ...env, ...extra },
    }).then(
      (ok) => ({ code: 0, stdout: ok.stdout, stderr: ok.stderr }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );

  it('no --yes: refused with exit 2 and the fix, nothing launched', { timeout: 60_000 }, async () => {
    const result = await strato(['submit', specFile('no-tty')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      `error: submit starts billable machines (2 × a2-highgpu-1g (spot) at ~$${SPOT.toFixed(2)}/h) and needs a confirmation`,
    );
    expect(result.stderr).toContain('hint: add --yes to submit without asking (no terminal to ask on)');
    await expectNothingLaunched('no-tty');
  });

  it('the fake cloud itself is never asked about: the cost is shown, the job submitted', {
    timeout: 60_000,
  }, async () => {
    const result = await strato(['submit', specFile('fake-no-ask')], { STRATO_ASK_ON_FAKE_CLOUD: '' });
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('Cost:     vertex us-central1, spot');
    expect(result.stderr).toContain('fake cloud on this machine: nothing is billed, nothing asked');
    expect(result.stdout.trim()).toMatch(/^fake-no-ask-\w+$/);
  });
});

describe('the local provider on a terminal', () => {
  it('shows no cost and asks nothing', { timeout: 60_000 }, async () => {
    const result = await stratoOnTerminal(['run', 'templates/quickstart.yaml'], { env });
    expect(result.code).toBe(0);
    expect(result.screen).not.toContain('[y/N]');
    expect(result.screen).not.toContain('Cost:');
    expect(result.screen).not.toMatch(/\$\d/);
  });
});
