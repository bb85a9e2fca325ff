/**
 * `gcloud ai custom-jobs create` against the fake Vertex's REST face, from
 * `--worker-pool-spec` and from `--config` YAML: the job is validated as the
 * gRPC face validates it, then runs — an image-only pool through the fake's
 * image → command table, as a real image runs its entrypoint.
 * Needs gcloud (test/README.md says how to install it or opt out).
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { v1 } from '@google-cloud/aiplatform';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeVertex, startFakeVertex } from '../../src/testing/fake-vertex/index.ts';
import { FAST_TIMING, jobServiceClient, waitForState } from '../support/fake-vertex.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');
const run = promisify(execFile);

const IMAGE = 'us-docker.pkg.dev/my-project/team/greeter:1';

let fake: FakeVertex;
let client: v1.JobServiceClient;
let configDir: string;

beforeAll(async () => {
  fake = await startFakeVertex({
    timing: FAST_TIMING,
    // The image's "entrypoint": prints what it was given, as a container would print its args.
    images: {
      [IMAGE]: [process.execPath, '-e', "console.log('greeter got', process.argv.slice(1).join(' '))", '--'],
    },
  });
  client = jobServiceClient(fake);
  configDir = mkdtempSync(join(tmpdir(), 'strato-gcloud-create-'));
});

afterAll(async () => {
  await client.close();
  await fake.close();
  rmSync(configDir, { recursive: true, force: true });
});

async function gcloud(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
  try {
    const { stdout, stderr } = await run('gcloud', [...args, '--format=json'], {
      timeout: 60_000,
      env: {
        ...process.env,
        CLOUDSDK_CONFIG: configDir,
        CLOUDSDK_AUTH_DISABLE_CREDENTIALS: 'true',
        CLOUDSDK_API_ENDPOINT_OVERRIDES_AIPLATFORM: fake.restUrl,
        CLOUDSDK_CORE_PROJECT: 'my-project',
        CLOUDSDK_CORE_DISABLE_USAGE_REPORTING: 'true',
        CLOUDSDK_COMPONENT_MANAGER_DISABLE_UPDATE_CHECK: 'true',
      },
    });
    return { stdout, stderr, code: 0 };
  } catch (error) {
    const e = error as { stdout: string; stderr: string; code: number };
    return { stdout: e.stdout, stderr: e.stderr, code: e.code };
  }
}

describe('gcloud ai custom-jobs create against the fake Vertex', () => {
  it('creates from --worker-pool-spec; the image-only pool runs the command mapped to its image', async () => {
    const { stdout, stderr, code } = await gcloud(
      'ai',
      'custom-jobs',
      'create',
      '--region=us-central1',
      '--display-name=from-flags',
      `--worker-pool-spec=machine-type=n1-standard-4,replica-count=1,container-image-uri=${IMAGE}`,
      '--args=--epochs=2',
      '--labels=team=ml',
    );
    expect(code, stderr).toBe(0);
    const created = JSON.parse(stdout) as {
      name: string;
      displayName: string;
      labels: Record<string, string>;
    };
    expect(created).toMatchObject({ displayName: 'from-flags', labels: { team: 'ml' } });
    const { job } = await waitForState(client, created.name, ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED']);
    expect(job.state, JSON.stringify(job.error)).toBe('JOB_STATE_SUCCEEDED');
    expect(fake.runOf(created.name)!.logOf('workerpool0-0')).toContain('greeter got --epochs=2');
  });

  it('creates from --config YAML with two pools, a command and a timeout', async () => {
    const config = join(configDir, 'job.yaml');
    writeFileSync(
      config,
      [
        'workerPoolSpecs:',
        '  - machineSpec: { machineType: n1-standard-4 }',
        '    replicaCount: 1',
        `    containerSpec: { imageUri: "${IMAGE}", command: ["${process.execPath}", "-e", "console.log(process.env.CLUSTER_SPEC)"] }`,
        '  - machineSpec: { machineType: n1-standard-4 }',
        '    replicaCount: 2',
        `    containerSpec: { imageUri: "${IMAGE}" }`,
        'scheduling: { timeout: 600s }',
      ].join('\n'),
    );
    const { stdout, stderr, code } = await gcloud(
      'ai',
      'custom-jobs',
      'create',
      '--region=us-central1',
      '--display-name=from-config',
      `--config=${config}`,
    );
    expect(code, stderr).toBe(0);
    const created = JSON.parse(stdout) as { name: string };
    const { job } = await waitForState(client, created.name, ['JOB_STATE_SUCCEEDED', 'JOB_STATE_FAILED']);
    expect(job.state, JSON.stringify(job.error)).toBe('JOB_STATE_SUCCEEDED');
    expect(job.jobSpec?.scheduling?.timeout?.seconds).toBe('600');
    expect(job.jobSpec?.workerPoolSpecs?.[1]?.replicaCount).toBe('2');
    const spec = JSON.parse(fake.runOf(created.name)!.logOf('workerpool0-0')) as {
      cluster: Record<string, string[]>;
    };
    expect(spec.cluster.workerpool1).toHaveLength(2);
  });

  it("refuses what the gRPC face refuses, with the service's words, and creates nothing", async () => {
    const before = (await client.listCustomJobs({ parent: 'projects/my-project/locations/us-central1' }))[0]
      .length;
    const { stderr, code } = await gcloud(
      'ai',
      'custom-jobs',
      'create',
      '--region=us-central1',
      '--display-name=bad',
      `--worker-pool-spec=machine-type=n1-standard-4,replica-count=2,container-image-uri=${IMAGE}`,
      `--worker-pool-spec=machine-type=n1-standard-4,replica-count=1,accelerator-type=NVIDIA_TESLA_T4,accelerator-count=3,container-image-uri=${IMAGE}`,
    );
    expect(code).not.toBe(0);
    expect(stderr).toContain('The first worker pool must have exactly 1 replica, got 2.');
    expect(stderr).toContain('3 accelerators of type NVIDIA_TESLA_T4 are not supported');
    const after = (await client.listCustomJobs({ parent: 'projects/my-project/locations/us-central1' }))[0]
      .length;
    expect(after).toBe(before);
  });
});
