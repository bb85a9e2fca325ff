/**
 * tpu-vm jobs with nothing played by the test: the tpu-vm provider queues a
 * slice through the real TPU client, the fake Cloud TPU boots one fake VM per
 * worker host (src/testing/fake-vm), each runs the real startup script
 * (src/agent/startup-script.sh), and the provider reads the
 * job's state and logs back from the fake Cloud Storage. On a pod worker 0
 * runs the program and the other hosts only write their boot record and
 * idle. A preempted spot slice ends its VMs and the job restarts on a new
 * slice. After every ending gcloud lists no queued resource or node of the
 * job, and no VM process is left. Needs gcloud (test/README.md).
 */

import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BootRecord } from '../../src/agent/layout.ts';
import { createTpuClient } from '../../src/infra/gcp/tpu-client.ts';
import { submit } from '../../src/jobs/submit.ts';
import { createTpuVmProvider } from '../../src/providers/tpu-vm/index.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { FAST_TPU_TIMING } from '../support/fake-tpu.ts';
import { gcloudMachinesOf } from '../support/gcloud-machines.ts';
import { replicaLines, tempDir, waitFor } from '../support/local.ts';
import { requireTool } from '../support/tools.ts';

requireTool('gcloud');

const PARENT = 'projects/my-project/locations/us-central2-b';
const IMAGE = 'us-docker.pkg.dev/my-project/trainers/tpu-probe:1';
let fake: FakeCloud;
let storage: Storage;
const home = tempDir('strato-tpu-boot-');

beforeAll(async () => {
  fake = await startFakeCloud({
    storage: { buckets: [{ name: 'my-bucket' }] },
    tpu: { timing: FAST_TPU_TIMING },
    compute: false,
    vertex: false,
    logging: false,
    // The image's entrypoint is replaced by the job's command; the shim only needs to know the image.
    boot: { images: { [IMAGE]: ['true'] }, graceMs: 1000 },
  });
  storage = new Storage({ apiEndpoint: fake.endpoints.storage!, projectId: 'my-project' });
});
afterAll(async () => {
  await fake?.close();
  home.remove();
});

// The stand-in TPU program: prints the TPU env the strategy gave its host and checks it (exit 4 when
// wrong). On a pod, TPU_NAME must name the node: its worker 0 resolves as `<node>-w-0`, as on TPU VMs.
// With SLEEP_ON_ATTEMPT it sleeps through that attempt (read from the VM's metadata server), to be preempted.
const PROBE = [
  'load_library="$(printenv TPU_LOAD_LIBRARY || echo unset)"',
  'echo "TPU_NAME=$TPU_NAME TPU_LOAD_LIBRARY=$load_library"',
  '[ "$load_library" = "$WANT_LOAD_LIBRARY" ] || { echo "TPU_LOAD_LIBRARY is not $WANT_LOAD_LIBRARY"; exit 4; }',
  'if [ "$WANT_TPU_NAME" = node ]; then',
  '  getent hosts "$TPU_NAME-w-0" >/dev/null || { echo "TPU_NAME $TPU_NAME is not a node"; exit 4; }',
  'else [ "$TPU_NAME" = "$WANT_TPU_NAME" ] || { echo "TPU_NAME is not $WANT_TPU_NAME"; exit 4; }; fi',
  'if [ -n "$SLEEP_ON_ATTEMPT" ]; then',
  '  metadata="$GCE_METADATA_HOST"; [ -n "$metadata" ] || metadata=metadata.google.internal',
  '  attempt="$(curl -sSf -H "Metadata-Flavor: Google" "http://$metadata/computeMetadata/v1/instance/attributes/strato-attempt")"',
  '  echo "attempt $attempt"',
  '  if [ "$attempt" = "$SLEEP_ON_ATTEMPT" ]; then sleep 60; fi',
  'fi',
  'echo "probe done"',
].join('\n');

function spec(
  name: string,
  type: 'v4-8' | 'v4-32',
  env: Record<string, string>,
  overrides: Partial<JobSpecInput> = {},
): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name,
    strategy: 'tpu',
    container: { image: IMAGE, command: ['bash', '-c', PROBE], env },
    resources: {
      workers: {
        // The pod runs the StreamExecutor runtime: there the strategy tells host 0 not to load libtpu itself.
        tpu: { type, runtimeVersion: type === 'v4-8' ? 'tpu-vm-tf-2.16.1-pjrt' : 'tpu-vm-tf-2.16.1-pod-se' },
      },
    },
    output: `gs://my-bucket/runs/${name}`,
    provider: { name: 'tpu-vm', project: 'my-project', zone: 'us-central2-b' },
    ...overrides,
  };
}

const run = (input: JobSpecInput) =>
  submit(input, {
    provider: createTpuVmProvider({ env: fake.env, pollScale: 0 }),
    home: home.path,
    env: { ...process.env, ...fake.env },
  });

/** The job's queued resources and nodes, as gcloud lists them: the check after every ending (1–2 s). */
async function slicesOf(jobId: string): Promise<string[]> {
  const listed = await gcloudMachinesOf(fake, jobId, { project: 'my-project', zone: 'us-central2-b' });
  return listed.map((slice) => `${slice.kind} ${slice.name}`);
}

/** The same as the real client lists them: quick enough to wait on. */
async function clientSlicesOf(jobId: string): Promise<string[]> {
  const client = await createTpuClient({ env: fake.env });
  try {
    const [[queued], [nodes]] = await Promise.all([
      client.listQueuedResources({ parent: PARENT }),
      client.listNodes({ parent: PARENT }),
    ]);
    return [...queued, ...nodes].map((r) => r.name ?? '').filter((name) => name.includes(`strato-${jobId}-`));
  } finally {
    await client.close();
  }
}

/**
 * After a job ended through job.wait(): the deletes of the other releaser (the controller) may still
 * be in flight when this process's look returns, so wait until the client lists none, then gcloud.
 */
async function expectNoSliceOf(jobId: string): Promise<void> {
  await waitFor(
    async () => (await clientSlicesOf(jobId)).length === 0,
    `the slices of ${jobId} deleted`,
    30_000,
  );
  expect(await slicesOf(jobId)).toEqual([]);
}

/** The boot records in an attempt's control folder. */
async function bootRecords(name: string, attempt: number): Promise<BootRecord[]> {
  const [files] = await storage.bucket('my-bucket').getFiles({ prefix: `runs/${name}/attempts/${attempt}/` });
  const boots = files.filter((file) => file.name.endsWith('.boot.json'));
  const records = await Promise.all(
    boots.map(async (file) => JSON.parse((await file.download())[0].toString('utf8')) as BootRecord),
  );
  return records.sort((a, b) => (a.worker ?? -1) - (b.worker ?? -1));
}

describe('tpu-vm jobs on TPU VMs that really boot', () => {
  it('GIVEN a v4-32 pod THEN worker 0 runs the program with its TPU env, 3 hosts idle, logs come back, nothing is left', async () => {
    const job = await run(spec('boot-pod', 'v4-32', { WANT_TPU_NAME: 'node', WANT_LOAD_LIBRARY: '0' }));
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(90_000) });
    const lines = await replicaLines(job);
    expect(status.state, lines.join('\n')).toBe('SUCCEEDED');
    expect(status.replicas.map((r) => [r.name, r.state])).toEqual([
      ['tpu-host-0', 'SUCCEEDED'],
      ['tpu-host-1', 'IDLE'],
      ['tpu-host-2', 'IDLE'],
      ['tpu-host-3', 'IDLE'],
    ]);
    expect(lines).toContain(`tpu-host-0: TPU_NAME=strato-${job.id}-1 TPU_LOAD_LIBRARY=0`);
    expect(lines).toContain('tpu-host-0: probe done');
    // Every worker's log is in the bucket: hosts 1–3 ran no program, and their logs say so (the
    // startup script's own lines); only worker 0's holds the program's output.
    expect(new Set(lines.map((line) => line.split(':')[0]))).toEqual(
      new Set(['tpu-host-0', 'tpu-host-1', 'tpu-host-2', 'tpu-host-3']),
    );
    for (const idle of ['tpu-host-1', 'tpu-host-2', 'tpu-host-3'])
      expect(lines).toContain(
        `${idle}: strato-startup: no program runs on this host: it serves the TPU runtime; the program runs on worker 0`,
      );
    expect(lines.filter((line) => line.endsWith(': probe done'))).toEqual(['tpu-host-0: probe done']);
    const boots = await bootRecords('boot-pod', 1);
    expect(boots.map((b) => [b.worker, b.replica])).toEqual([
      [0, 'tpu-host-0'],
      [1, undefined],
      [2, undefined],
      [3, undefined],
    ]);
    await expectNoSliceOf(job.id);
    expect(fake.fleet!.running()).toEqual([]);
  }, 120_000);

  it('GIVEN a single-host v4-8 THEN its one host runs the program with TPU_NAME=local, SUCCEEDED, nothing is left', async () => {
    const job = await run(spec('boot-v4-8', 'v4-8', { WANT_TPU_NAME: 'local', WANT_LOAD_LIBRARY: 'unset' }));
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(90_000) });
    const lines = await replicaLines(job);
    expect(status.state, lines.join('\n')).toBe('SUCCEEDED');
    expect(status.replicas.map((r) => [r.name, r.state])).toEqual([['tpu-host-0', 'SUCCEEDED']]);
    expect(lines).toContain('tpu-host-0: TPU_NAME=local TPU_LOAD_LIBRARY=unset');
    expect(lines).toContain('tpu-host-0: probe done');
    expect((await bootRecords('boot-v4-8', 1)).map((b) => [b.worker, b.replica])).toEqual([
      [0, 'tpu-host-0'],
    ]);
    await expectNoSliceOf(job.id);
    expect(fake.fleet!.running()).toEqual([]);
  }, 120_000);

  it('GIVEN a spot v4-8 preempted while its program runs THEN attempt 2 boots a new slice and SUCCEEDS, nothing is left', async () => {
    const job = await run(
      spec(
        'boot-preempt',
        'v4-8',
        { WANT_TPU_NAME: 'local', WANT_LOAD_LIBRARY: 'unset', SLEEP_ON_ATTEMPT: '1' },
        {
          scheduling: { spot: true, maxRestarts: 1 },
        },
      ),
    );
    // Preempt only once the program runs on the host (it sleeps through attempt 1).
    let replicaState = '';
    for (let i = 0; i < 300 && replicaState !== 'RUNNING'; i++) {
      replicaState = (await job.status()).replicas[0]?.state ?? '';
      if (replicaState !== 'RUNNING') await new Promise((r) => setTimeout(r, 100));
    }
    expect(replicaState).toBe('RUNNING');
    // While it runs gcloud sees the slice: the check after the job ends looks where it is.
    expect((await slicesOf(job.id)).sort()).toEqual([
      `queued-resource ${PARENT}/queuedResources/strato-${job.id}-1`,
      `tpu-node ${PARENT}/nodes/strato-${job.id}-1`,
    ]);
    fake.tpu!.preempt(`${PARENT}/queuedResources/strato-${job.id}-1`);
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(90_000) });
    const lines = await replicaLines(job);
    expect(status, lines.join('\n')).toMatchObject({ state: 'SUCCEEDED', attempt: 2 });
    expect(lines).toContain('tpu-host-0: attempt 2');
    expect(lines).toContain('tpu-host-0: probe done');
    expect((await bootRecords('boot-preempt', 2)).map((b) => [b.worker, b.replica])).toEqual([
      [0, 'tpu-host-0'],
    ]);
    await expectNoSliceOf(job.id);
    expect(fake.fleet!.running()).toEqual([]);
  }, 150_000);
});
