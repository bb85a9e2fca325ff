/**
 * Every example stack in infra/ as a user runs it, against the fake cloud:
 * `strato infra plan` (changes), `deploy --yes`, a second plan with nothing
 * to do, and `destroy --yes` — with gcloud, an independent client, listing
 * what exists after each step. Needs gcloud (test/README.md).
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeCloud, startFakeCloud } from '../../src/testing/index.ts';
import { REPO_ROOT } from '../support/local.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');
const run = promisify(execFile);
const PROJECT = 'my-project';

let cloud: FakeCloud;
let work: string;

beforeAll(async () => {
  cloud = await startFakeCloud({ vertex: false, compute: { faults: { operationMs: 20 } } });
  work = mkdtempSync(join(tmpdir(), 'strato-infra-examples-'));
});

afterAll(async () => {
  await cloud?.close();
  rmSync(work, { recursive: true, force: true });
});

function env(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...cloud.env,
    STRATO_PROJECT: PROJECT,
    CLOUDSDK_CONFIG: join(work, 'gcloud'),
    CLOUDSDK_CORE_PROJECT: PROJECT,
    CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
    CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
  };
}

/** `strato infra VERB FILE` as a process; its exit code and output. */
async function strato(
  verb: string,
  file: string,
  ...flags: string[]
): Promise<{ code: number; out: string }> {
  const args = [
    'bin/strato.js',
    'infra',
    verb,
    join('infra', file),
    '--state',
    join(work, `${file}.state.json`),
  ];
  try {
    const { stdout, stderr } = await run(process.execPath, [...args, ...flags], {
      cwd: REPO_ROOT,
      env: env(),
      timeout: 120_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

async function gcloud(...args: string[]): Promise<{ name: string }[]> {
  const { stdout } = await run('gcloud', [...args, '--format=json'], { env: env(), timeout: 60_000 });
  return JSON.parse(stdout || '[]') as { name: string }[];
}

const names = (listed: { name: string }[]) => listed.map((item) => item.name.split('/').at(-1)).sort();

const EXAMPLES = [
  {
    file: 'data-bucket.ts',
    list: () => gcloud('storage', 'buckets', 'list'),
    expected: ['my-project-data-bucket-data'],
  },
  {
    file: 'gpu-vms.ts',
    list: () => gcloud('compute', 'instances', 'list'),
    expected: ['gpu-vms-workers-worker-0', 'gpu-vms-workers-worker-1'],
  },
  {
    file: 'tpu-pod-slice.ts',
    list: () => gcloud('compute', 'tpus', 'queued-resources', 'list', '--zone', 'us-central2-b'),
    expected: ['tpu-pod-slice-train'],
  },
];

describe('the example stacks in infra/', { timeout: 300_000 }, () => {
  for (const example of EXAMPLES) {
    it(`${example.file}: plan, deploy, nothing left to do, destroy to nothing`, async () => {
      const first = await strato('plan', example.file, '--detailed-exitcode');
      expect(first.code, first.out).toBe(2);
      expect(first.out).toMatch(/Plan: \d+ to create/);

      const deploy = await strato('deploy', example.file, '--yes');
      expect(deploy.code, deploy.out).toBe(0);
      expect(names(await example.list())).toEqual(expect.arrayContaining(example.expected));

      const second = await strato('plan', example.file, '--detailed-exitcode');
      expect(second.code, second.out).toBe(0);
      expect(second.out).toContain('Plan: 0 to create, 0 to update, 0 to replace, 0 to delete.');

      const destroy = await strato('destroy', example.file, '--yes');
      expect(destroy.code, destroy.out).toBe(0);
      expect(names(await example.list())).toEqual([]);
    });
  }
});
