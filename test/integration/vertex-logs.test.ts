/**
 * GIVEN the fake cloud (Vertex AI + Cloud Logging) and a Vertex job whose
 * replicas printed lines WHEN the lines are asked for the way a user asks —
 * `strato logs` (the CLI as a process), `gcloud logging read` and
 * `gcloud ai custom-jobs stream-logs` (gcloud's own REST clients, with
 * `api_endpoint_overrides/logging`) THEN each shows the replicas' lines.
 * Needs gcloud (test/README.md says how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep } from '../../src/internal/sleep.ts';
import type { Job } from '../../src/jobs/job.ts';
import { REPO_ROOT } from '../support/local.ts';
import { requireTool } from '../support/tools.ts';
import { currentCustomJob, runToEnd, useVertexCloud } from '../support/vertex.ts';

requireTool('gcloud');
const run = promisify(execFile);
const env = useVertexCloud();

// The primary and one worker each print two lines; the primary lingers so the worker's lines are written too.
const SCRIPT = [
  'const t = JSON.parse(process.env.CLUSTER_SPEC).task;',
  "console.log('hello from ' + t.type + '-' + t.index);",
  "setTimeout(() => console.log('bye from ' + t.type + '-' + t.index), 300);",
  "if (t.type === 'workerpool0') setTimeout(() => {}, 1200);",
].join(' ');

let job: Job;
let customJobId: string;
let configDir: string;

beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), 'strato-gcloud-logs-'));
  ({ job } = await runToEnd(env, {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name: 'logs-e2e',
    strategy: 'multi-worker-mirrored',
    container: { image: 'us-docker.pkg.dev/my-project/r/t:1', command: [process.execPath, '-e', SCRIPT] },
    resources: { workers: { replicas: 2, machineType: 'n1-standard-4' } },
    output: 'gs://strato-e2e/runs/logs-e2e',
    provider: { name: 'vertex', project: 'my-project', region: 'us-central1' },
  }));
  customJobId = currentCustomJob(job.record.handle).split('/').at(-1)!;
});

afterAll(() => rmSync(configDir, { recursive: true, force: true }));

const EXPECTED = [
  'hello from workerpool0-0',
  'hello from workerpool1-0',
  'bye from workerpool0-0',
  'bye from workerpool1-0',
];

async function strato(...args: string[]): Promise<string> {
  const { stdout } = await run(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), ...args], {
    timeout: 60_000,
    env: { ...process.env, ...env.cloud.env, STRATO_HOME: env.home },
  });
  return stdout;
}

/** gcloud pointed at the fake: a throwaway config, no credentials, the endpoints `strato fake-cloud` prints. */
async function gcloud(...args: string[]): Promise<string> {
  const { stdout } = await run('gcloud', args, {
    timeout: 90_000,
    env: {
      ...process.env,
      ...env.cloud.env,
      CLOUDSDK_CONFIG: configDir,
      CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
      CLOUDSDK_CORE_PROJECT: 'my-project',
      CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
      CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
    },
  });
  return stdout;
}

describe("a Vertex job's replica lines, from Cloud Logging", () => {
  it('`strato logs` prints every replica line with its time and replica, interleaved by time', async () => {
    const lines = (await strato('logs', job.id)).trim().split('\n');
    expect(lines).toHaveLength(4);
    for (const line of lines)
      expect(line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[workerpool[01]-0\] /);
    expect(new Set(lines.map((l) => l.replace(/^\S+ \[\S+\] /, '')))).toEqual(new Set(EXPECTED));
    // Both hellos come before both byes: lines of the two replicas are ordered by time, not by replica.
    expect(lines.slice(0, 2).every((l) => l.includes('hello'))).toBe(true);
  });

  it('`strato logs --replica --json` and `--tail` pick lines', async () => {
    const json = (await strato('logs', job.id, '--replica', 'workerpool1-0', '--json'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { time: string; replica: string; text: string });
    expect(json.map((l) => l.text)).toEqual(['hello from workerpool1-0', 'bye from workerpool1-0']);
    expect(json.every((l) => l.replica === 'workerpool1-0' && !Number.isNaN(Date.parse(l.time)))).toBe(true);
    const tail = (await strato('logs', job.id, '--tail', '1')).trim().split('\n');
    expect(tail).toHaveLength(1);
    expect(tail[0]).toMatch(/ bye from workerpool[01]-0$/);
  });

  it('`gcloud logging read` finds the entries Vertex would write', async () => {
    const entries = JSON.parse(
      await gcloud(
        'logging',
        'read',
        `resource.type="ml_job" AND resource.labels.job_id="${customJobId}"`,
        '--format=json',
      ),
    ) as { textPayload: string; resource: { labels: Record<string, string> }; logName: string }[];
    expect(entries.map((e) => e.textPayload).sort()).toEqual([...EXPECTED].sort());
    expect(entries[0]!.resource.labels).toMatchObject({ job_id: customJobId, project_id: 'my-project' });
    expect(entries[0]!.logName).toMatch(/^projects\/my-project\/logs\/workerpool[01]-0$/);
  });

  it('`gcloud ai custom-jobs stream-logs` shows them and ends, the job being over', async () => {
    // gcloud reads only entries older than 5 s (its logs/stream.py upper bound): let the last ones age.
    const endedAt = Date.parse((await job.status()).endedAt ?? new Date().toISOString());
    await sleep(Math.max(0, endedAt + 6000 - Date.now()));
    const out = await gcloud(
      'ai',
      'custom-jobs',
      'stream-logs',
      customJobId,
      '--region=us-central1',
      '--polling-interval=1',
      '--task-name=workerpool1-0',
    );
    expect(out).toContain('workerpool1-0');
    expect(out).toContain('hello from workerpool1-0');
    expect(out).toContain('bye from workerpool1-0');
    expect(out).not.toContain('workerpool0-0');
  }, 60_000);
});
