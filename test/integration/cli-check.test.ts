/**
 * Issue 18, item 1, driven the way it was found: `strato` as a process in a
 * shell with no cloud account — HOME an empty folder, no
 * GOOGLE_APPLICATION_CREDENTIALS, no AWS variables — and then in a shell with
 * the exports `strato fake-cloud` prints.
 *
 * No request leaves loopback: without credentials the auth libraries fail
 * before any call, and the CLI asks only the BIOS whether this is a Google
 * Cloud VM (never the metadata server's address).
 */

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { REPO_ROOT, tempDir } from '../support/local.ts';

const home = tempDir('strato-check-home-');
let cloud: FakeCloud;

beforeAll(async () => {
  // As the README's no-account path starts it: `strato fake-cloud --bucket my-bucket`, from the repository root.
  cloud = await startFakeCloud({ storage: { buckets: ['my-bucket'] }, vertex: { cwd: REPO_ROOT } });
});
afterAll(async () => {
  await cloud?.close();
  home.remove();
});

/** This process's environment without anything that names credentials, a project or an endpoint. */
function accountlessEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(GOOGLE_|GCLOUD_|CLOUDSDK_|AWS_|GCE_METADATA|METADATA_SERVER)/.test(name)) continue;
    if (['STORAGE_EMULATOR_HOST', 'STRATO_VERTEX_ENDPOINT', 'STRATO_HOME'].includes(name)) continue;
    env[name] = value;
  }
  return { ...env, HOME: home.path, STRATO_HOME: join(home.path, '.strato'), ...extra };
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function strato(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return promisify(execFile)(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), ...args], {
    cwd: REPO_ROOT,
    env,
    timeout: 60_000,
  }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: CliResult) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );
}

/** One `error:` line and one `hint:` line, nothing else: no stack, no library warning, no "bug". */
function expectOneMessage(result: CliResult, fix: string): void {
  expect(result.code).toBe(2);
  const lines = result.stderr.trim().split('\n');
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[1]).toMatch(/^hint: /);
  expect(lines[1]).toContain(fix);
  expect(result.stderr).not.toMatch(/bug in Strato|Warning|\n\s+at /);
}

describe('commands that need credentials, with none', () => {
  it('run of a Vertex template: exit 2, one message, the gcloud login fix, in seconds', async () => {
    const started = Date.now();
    const result = await strato(['run', 'templates/one-device.yaml'], accountlessEnv());
    expectOneMessage(result, 'gcloud auth application-default login');
    expect(result.stderr).toMatch(/no Google (Cloud )?credentials/);
    // The metadata server is never pinged: no multi-second probe timeout.
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('data push to gs:// and s3://, metrics of a gs:// run dir: exit 2 with the login fix of each cloud', async () => {
    const data = 'templates/quickstart-data';
    expectOneMessage(
      await strato(['data', 'push', data, 'gs://my-bucket/x'], accountlessEnv()),
      'gcloud auth application-default login',
    );
    expectOneMessage(
      await strato(['data', 'push', data, 's3://my-bucket/x'], accountlessEnv()),
      'aws configure',
    );
    expectOneMessage(
      await strato(['metrics', 'gs://my-bucket/runs/x'], accountlessEnv()),
      'gcloud auth application-default login',
    );
  });

  it('check reports each missing piece with the command that fixes it', async () => {
    const result = await strato(['check', '--json'], accountlessEnv());
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as {
      node: string;
      targets: { target: string; usable: boolean; items: { name: string; ok: boolean; fix?: string }[] }[];
    };
    expect(report.node).toContain(process.versions.node);
    const byTarget = Object.fromEntries(report.targets.map((t) => [t.target, t]));
    expect(byTarget.local!.usable).toBe(true);
    for (const target of ['vertex', 'gs']) {
      expect(byTarget[target]!.usable).toBe(false);
      const credentials = byTarget[target]!.items.find((i) => i.name === 'credentials')!;
      expect(credentials).toMatchObject({ ok: false, fix: 'gcloud auth application-default login' });
      const project = byTarget[target]!.items.find((i) => i.name === 'project')!;
      expect(project.fix).toContain('gcloud config set project');
    }
    const aws = byTarget.s3!.items.find((i) => i.name === 'credentials')!;
    expect(aws.ok).toBe(false);
    expect(aws.fix).toContain('aws configure');
  });

  it('check naming a target exits 1 when it is not usable (for scripts), and prints the Node version', async () => {
    const result = await strato(['check', 'vertex'], accountlessEnv());
    expect(result.code).toBe(1);
    expect(result.stdout).toContain(`node ${process.versions.node}`);
    expect(result.stdout).toMatch(/vertex\s+NOT USABLE/);
    expect(result.stdout).toContain('fix: gcloud auth application-default login');
  });
});

describe('a malformed endpoint variable is a usage error naming it', () => {
  const cases = [
    [
      'STORAGE_EMULATOR_HOST',
      'http://127.0.0.1:1/not/a/root',
      ['data', 'push', 'templates/quickstart-data', 'gs://my-bucket/x'],
    ],
    ['STRATO_VERTEX_ENDPOINT', 'htp:/127.0.0.1', ['run', 'templates/one-device.yaml']],
    [
      'AWS_ENDPOINT_URL_S3',
      'localhost:x:9000',
      ['data', 'push', 'templates/quickstart-data', 's3://my-bucket/x'],
    ],
  ] as const;
  for (const [name, value, args] of cases) {
    it(`${name}: the command and check both exit 2 naming it`, async () => {
      for (const command of [[...args], ['check']]) {
        const result = await strato(command, accountlessEnv({ [name]: value }));
        expect(result.code).toBe(2);
        expect(result.stderr).toContain(`error: ${name}=`);
        expect(result.stderr).not.toMatch(/bug in Strato/);
      }
    });
  }
});

describe('against the fake cloud', () => {
  it('the README path: data push, then the Vertex quickstart runs; run again, it is refused (its run dir is taken)', {
    timeout: 180_000,
  }, async () => {
    const env = accountlessEnv(cloud.env);
    const push = await strato(
      ['data', 'push', 'templates/quickstart-data', 'gs://my-bucket/datasets/quickstart'],
      env,
    );
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toMatch(/^pushed \d+ of \d+ files/);

    const first = await strato(['run', 'templates/quickstart-vertex.yaml'], env);
    expect(first.code, first.stderr).toBe(0);
    const id = /submitted\s+(\S+)/.exec(first.stdout)![1]!;
    expect(first.stdout).toMatch(new RegExp(`${id} SUCCEEDED in `));
    expect(first.stdout).toMatch(/epoch 3 {2}loss/);

    // The finding: a second run with the same output: silently resumed the first one's checkpoints.
    const again = await strato(['run', 'templates/quickstart-vertex.yaml'], env);
    expect(again.code).toBe(2);
    expect(again.stdout).not.toContain('SUCCEEDED');
    expect(again.stderr).toContain(`already holds job ${id}'s output`);
    expect(again.stderr).toContain(`--resume ${id}`);
  });

  it('check vertex gs: both usable with the env `strato fake-cloud` prints, no credentials', async () => {
    const result = await strato(['check', 'vertex', 'gs', '--json'], accountlessEnv(cloud.env));
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { targets: { target: string; usable: boolean }[] };
    expect(report.targets).toEqual([
      expect.objectContaining({ target: 'vertex', usable: true }),
      expect.objectContaining({ target: 'gs', usable: true }),
    ]);
  });
});
