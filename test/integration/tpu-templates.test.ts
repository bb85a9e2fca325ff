/**
 * The shipped TPU templates, run as a user runs them: `strato run
 * templates/tpu-single-host.yaml` and `strato run templates/tpu-pod.yaml`,
 * each a `strato` process, read from templates/ unchanged, against the fake
 * cloud — fake Cloud TPU, fake Cloud Storage, fake VMs that boot and run the
 * real startup script. Only the environment differs from a user's: the
 * fakes' endpoints, STRATO_HOME, and the fake's set-up (the templates'
 * bucket `my-bucket`; the templates' image mapped by the docker shim to a
 * STAND-IN TPU program, test/support/python/tpu_stand_in.py, which checks
 * its host and environment as TensorFlow on a TPU VM needs them and fails
 * the job when anything is wrong). The job SUCCEEDS; on the v4-32 pod the
 * program runs on worker 0 only and the other 3 hosts boot and idle; each
 * host's record and the program's log are in the bucket; afterwards no
 * queued resource, node or VM process is left.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Storage } from '@google-cloud/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { BootRecord, ExitRecord } from '../../src/agent/layout.ts';
import { createTpuClient } from '../../src/infra/gcp/tpu-client.ts';
import type { JobStatus } from '../../src/providers/types.ts';
import { type FakeCloud, startFakeCloud } from '../../src/testing/fake-cloud.ts';
import { FAST_TPU_TIMING } from '../support/fake-tpu.ts';
import { REPO_ROOT, type StratoProcess, spawnStrato, tempDir, waitFor } from '../support/local.ts';

const STAND_IN = join(REPO_ROOT, 'test/support/python/tpu_stand_in.py');

interface Template {
  file: string;
  name: string;
  image: string;
  args: string[];
  output: string;
  type: string;
  project: string;
  zone: string;
}

function readTemplate(file: string): Template {
  const path = join(REPO_ROOT, 'templates', file);
  const spec = parse(readFileSync(path, 'utf8'));
  return {
    file: path,
    name: spec.name,
    image: spec.container.image,
    args: spec.container.args,
    output: spec.output,
    type: spec.resources.workers.tpu.type,
    project: spec.provider.project,
    zone: spec.provider.zone,
  };
}

const SINGLE_HOST = readTemplate('tpu-single-host.yaml');
const POD = readTemplate('tpu-pod.yaml');

let fake: FakeCloud;
let storage: Storage;
const home = tempDir('strato-tpu-templates-');

beforeAll(async () => {
  const bucket = (uri: string) => new URL(uri).host;
  fake = await startFakeCloud({
    storage: {
      buckets: [...new Set([SINGLE_HOST, POD].map((t) => bucket(t.output)))].map((name) => ({ name })),
    },
    tpu: { timing: FAST_TPU_TIMING },
    compute: false,
    vertex: false,
    logging: false,
    iam: false,
    artifactRegistry: false,
    // The templates' image runs the stand-in instead of the MNIST trainer; the template's args follow it.
    boot: {
      images: { [SINGLE_HOST.image]: ['python3', STAND_IN], [POD.image]: ['python3', STAND_IN] },
      graceMs: 1000,
    },
  });
  storage = new Storage({ apiEndpoint: fake.endpoints.storage!, projectId: POD.project });
});
afterAll(async () => {
  await fake?.close();
  home.remove();
});

/** `strato ARGS…` as a process, as a user runs it in a shell pointed at the fake cloud. */
function strato(...args: string[]): StratoProcess {
  return spawnStrato(args, { env: { ...process.env, ...fake.env, STRATO_HOME: home.path }, cwd: home.path });
}

async function stratoDone(...args: string[]): Promise<{ code: number | null; output: string }> {
  const cli = strato(...args);
  const code = await cli.exited;
  return { code, output: cli.output() };
}

/** The objects of attempt 1's control folder (`<run dir>/attempts/1/`), by name within it. */
async function controlObjects(template: Template): Promise<Map<string, string>> {
  const { host: bucket, pathname } = new URL(template.output);
  const prefix = `${pathname.slice(1).replace(/\/$/, '')}/attempts/1/`;
  const [files] = await storage.bucket(bucket).getFiles({ prefix });
  const objects = new Map<string, string>();
  for (const file of files)
    objects.set(file.name.slice(prefix.length), (await file.download())[0].toString());
  return objects;
}

async function readObject(uri: string): Promise<string | undefined> {
  const { host: bucket, pathname } = new URL(uri);
  const file = storage.bucket(bucket).file(pathname.slice(1));
  return (await file.exists())[0] ? (await file.download())[0].toString() : undefined;
}

/** The job's queued resources and nodes, as the real client lists them. */
async function slicesOf(template: Template, jobId: string): Promise<string[]> {
  const parent = `projects/${template.project}/locations/${template.zone}`;
  const client = await createTpuClient({ env: fake.env });
  try {
    const [[queued], [nodes]] = await Promise.all([
      client.listQueuedResources({ parent }),
      client.listNodes({ parent }),
    ]);
    return [...queued, ...nodes].map((r) => r.name ?? '').filter((name) => name.includes(`strato-${jobId}-`));
  } finally {
    await client.close();
  }
}

/** Runs the template through `strato run`; checks what every TPU template must end with. */
async function runTemplate(
  template: Template,
  hosts: number,
  whileRunning?: (jobId: string) => Promise<void>,
) {
  const run = strato('run', template.file);
  const jobId = await waitFor(() => /submitted\s+(\S+)/.exec(run.output())?.[1], 'the job id', 60_000);
  await whileRunning?.(jobId);
  const code = await run.exited;
  expect(code, run.output()).toBe(0);
  expect(run.output()).toContain(`${jobId} SUCCEEDED in`);

  const shown = await stratoDone('status', jobId, '--json');
  expect(shown.code, shown.output).toBe(0);
  const status = (JSON.parse(shown.output) as { status: JobStatus }).status;
  expect(status.state).toBe('SUCCEEDED');
  expect(status.replicas.map((r) => [r.name, r.state])).toEqual(
    Array.from({ length: hosts }, (_, i) => [`tpu-host-${i}`, i === 0 ? 'SUCCEEDED' : 'IDLE']),
  );

  // Every host booted and wrote its record and its log; only worker 0 ran the program: one exit record.
  const objects = await controlObjects(template);
  const boots = [...objects.entries()]
    .filter(([name]) => name.endsWith('.boot.json'))
    .map(([, text]) => JSON.parse(text) as BootRecord)
    .sort((a, b) => (a.worker ?? -1) - (b.worker ?? -1));
  expect(boots.map((b) => [b.worker, b.replica])).toEqual(
    Array.from({ length: hosts }, (_, i) => [i, i === 0 ? 'tpu-host-0' : undefined]),
  );
  expect([...objects.keys()].filter((name) => /\.(log|exit\.json)$/.test(name)).sort()).toEqual([
    'tpu-host-0.exit.json',
    ...Array.from({ length: hosts }, (_, i) => `tpu-host-${i}.log`),
  ]);
  for (let i = 1; i < hosts; i++)
    expect(objects.get(`tpu-host-${i}.log`)).toContain('no program runs on this host');
  expect((JSON.parse(objects.get('tpu-host-0.exit.json')!) as ExitRecord).exitCode).toBe(0);

  // Nothing of the job is left once `strato run` has returned and the machines are released.
  await waitFor(
    async () => (await slicesOf(template, jobId)).length === 0 && fake.fleet!.running().length === 0,
    'no queued resource, node or VM process of the job',
    30_000,
  ).catch(async (error: Error) => {
    throw new Error(`${error.message}: ${[...(await slicesOf(template, jobId)), ...fake.fleet!.running()]}`);
  });
  return { jobId, log: objects.get('tpu-host-0.log')!, worker0: boots[0]!.host };
}

describe('the shipped TPU templates run to SUCCEEDED on the fake cloud', () => {
  it('GIVEN templates/tpu-single-host.yaml (v4-8) THEN its one host runs the program with TPU_NAME=local', async () => {
    const { log, worker0 } = await runTemplate(SINGLE_HOST, 1);
    const runDir = `${SINGLE_HOST.output}/`;
    expect(log).toContain(
      `tpu stand-in OK: worker 0 of 1 (${worker0}), TPU_NAME=local, runtime pjrt (/lib/libtpu.so), ` +
        `4 replicas on ${SINGLE_HOST.type}, args ${SINGLE_HOST.args.join(' ')}, run dir ${runDir}`,
    );
    // The program wrote to the template's output, as a trainer writes its model there.
    expect(JSON.parse((await readObject(`${runDir}model/tpu-stand-in.json`)) ?? '{}')).toMatchObject({
      tpuName: 'local',
      args: SINGLE_HOST.args,
    });
  }, 120_000);

  it('GIVEN templates/tpu-pod.yaml (v4-32) THEN worker 0 runs the program with TPU_NAME naming the slice, 3 hosts idle', async () => {
    const explained = await stratoDone('explain', POD.file);
    expect(explained.code, explained.output).toBe(0);
    expect(explained.output).toMatch(/tpu-host\s+0\s.*program \(must succeed\)/);
    expect(explained.output.match(/TPU runtime only/g)).toHaveLength(3);

    let statusWhileRunning = '';
    const { jobId, log, worker0 } = await runTemplate(POD, 4, async (id) => {
      // What a user sees meanwhile (the state depends on timing: only its shape is checked).
      const shown = await stratoDone('status', id);
      statusWhileRunning = shown.output;
      expect(shown.code, shown.output).toBe(0);
    });
    expect(statusWhileRunning).toContain(`Job ${jobId}:`);
    for (let i = 0; i < 4; i++) expect(statusWhileRunning).toMatch(new RegExp(`tpu-host-${i}\\s`));

    // The template runs a PJRT runtime (`-pod-pjrt`): host 0 loads libtpu as TensorFlow's pluggable device, so
    // it gets the PJRT variables and no TPU_LOAD_LIBRARY=0 (that is for StreamExecutor `-pod-se` runtimes; the
    // stand-in refuses it with PJRT).
    const runDir = `${POD.output}/`;
    expect(log).toContain(
      `tpu stand-in OK: worker 0 of 4 (${worker0}), TPU_NAME=strato-${jobId}-1, runtime pjrt (/lib/libtpu.so), ` +
        `16 replicas on ${POD.type}, args ${POD.args.join(' ')}, run dir ${runDir}`,
    );
    expect(JSON.parse((await readObject(`${runDir}model/tpu-stand-in.json`)) ?? '{}')).toMatchObject({
      worker: 0,
      tpuName: `strato-${jobId}-1`,
      args: POD.args,
    });
  }, 120_000);
});
