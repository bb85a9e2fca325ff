/**
 * `ec2` jobs on moto, with nothing played by the test: the training stack
 * (infra/aws/app.ts) deployed through CloudFormation, the provider launching
 * instances from its launch template through the real EC2 client, the fake
 * fleet booting moto's instances (their user data run locally with a fake
 * IMDSv2 and the docker shim, src/testing/fake-vm/ec2-guests.ts), logs and
 * exit records going to moto's S3 through the real `aws` CLI inside the
 * instances, and the job's state read back from there. The peers resolve
 * each other by their private DNS names, as TF_CONFIG gives them. After
 * every ending — success, failure, a spot interruption then a restart,
 * cancel — the `aws` CLI lists no live instance of the job.
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { deployAwsStack } from '../../src/infra/aws/index.ts';
import { planJob } from '../../src/jobs/plan-job.ts';
import { submit } from '../../src/jobs/submit.ts';
import { createEc2Provider } from '../../src/providers/ec2/index.ts';
import type { JobHandle } from '../../src/providers/types.ts';
import { parseJobSpec } from '../../src/spec/load.ts';
import type { JobSpecInput } from '../../src/spec/schema.ts';
import { Ec2Guests, VmFleet } from '../../src/testing/fake-vm/index.ts';
import { REPO_ROOT, replicaLines, tempDir, waitFor } from '../support/local.ts';
import { awsCli, type Moto, startMoto } from '../support/moto.ts';

const STACK = 'strato-ec2-jobs';
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/trainers/probe:1';
const home = tempDir('strato-ec2-jobs-');
let moto: Moto;
let fleet: VmFleet;
let guests: Ec2Guests;
let bucket: string;
let templateId: string;
let templateVersion: string;

beforeAll(async () => {
  moto = await startMoto();
  const deployed = await deployAwsStack({
    app: join(import.meta.dirname, '../../infra/aws/app.ts'),
    // No standing instances: the jobs launch their own from the launch template.
    context: { stackName: STACK, region: 'us-east-1', instanceCount: 0 },
    env: { ...process.env, ...moto.env },
    stateDir: mkdtempSync(join(tmpdir(), 'strato-ec2-state-')),
    validate: false,
    pollIntervalMs: 100,
  });
  bucket = deployed.outputs.BucketName!;
  templateId = deployed.outputs.LaunchTemplateId!;
  templateVersion = deployed.outputs.LaunchTemplateVersion!;
  fleet = new VmFleet({
    // The instances' `aws s3 cp` reaches moto as the instance role would reach S3.
    env: { ...moto.env, STRATO_LOG_EVERY_SEC: '2' },
    images: { [IMAGE]: ['true'] },
    graceMs: 1000,
  });
  guests = new Ec2Guests(fleet, { endpoint: moto.endpoint });
}, 120_000);

afterAll(async () => {
  await guests?.close();
  await fleet?.close();
  await moto?.stop();
  home.remove();
});

const env = () => ({ ...process.env, ...moto.env, STRATO_EC2_PORTS: 'distinct' });
const provider = () => createEc2Provider({ env: env(), pollScale: 0 });
const run = (input: JobSpecInput) => submit(input, { provider: provider(), home: home.path, env: env() });

interface CliInstance {
  InstanceId: string;
  State: { Name: string };
  Tags?: { Key: string; Value: string }[];
}
/** The job's instances as the `aws` CLI lists them. */
function instancesOf(jobId: string): CliInstance[] {
  const answer = awsCli(moto, [
    'ec2',
    'describe-instances',
    '--filters',
    `Name=tag:strato-job,Values=${jobId}`,
  ]) as { Reservations: { Instances: CliInstance[] }[] };
  return answer.Reservations.flatMap((r) => r.Instances);
}
const liveInstancesOf = (jobId: string) =>
  instancesOf(jobId).filter((i) => i.State.Name !== 'terminated' && i.State.Name !== 'shutting-down');

/** After an ending: the releaser (this process or the controller) may still be terminating. */
async function expectNoLiveInstanceOf(jobId: string): Promise<void> {
  await waitFor(() => liveInstancesOf(jobId).length === 0, `the instances of ${jobId} terminated`, 30_000);
  expect(liveInstancesOf(jobId)).toEqual([]);
  await waitFor(() => guests.running().length === 0 && fleet.running().length === 0, 'no VM process', 30_000);
}

// Each worker resolves every host of its TF_CONFIG, prints its task, and exits with PROBE_EXIT.
const PROBE = [
  "for host in $(python3 -c \"import json,os; print(' '.join(a.rsplit(':',1)[0] for a in json.loads(os.environ['TF_CONFIG'])['cluster']['worker']))\"); do",
  '  getent hosts "$host" >/dev/null || { echo "cannot resolve $host"; exit 5; }',
  '  echo "resolved $host"',
  'done',
  "echo \"task $(python3 -c \"import json,os; print(json.loads(os.environ['TF_CONFIG'])['task']['index'])\") resolved every peer\"",
  'exit "$PROBE_EXIT"',
].join('\n');

function spec(name: string, env: Record<string, string> = {}): JobSpecInput {
  return {
    apiVersion: 'strato.dev/v1',
    kind: 'Job',
    name,
    strategy: 'multi-worker-mirrored',
    container: { image: IMAGE, command: ['bash', '-c', PROBE], env: { PROBE_EXIT: '0', ...env } },
    resources: { workers: { replicas: 2, machineType: 'g5.xlarge' } },
    output: `s3://${bucket}/runs/${name}`,
    provider: { name: 'ec2', stack: STACK, region: 'us-east-1' },
  };
}

describe('ec2 jobs on moto instances that really boot', () => {
  it('GIVEN a spec the stack cannot run THEN refused before any instance is made, with the fix', async () => {
    const before = (
      awsCli(moto, ['ec2', 'describe-instances']) as { Reservations: { Instances: CliInstance[] }[] }
    ).Reservations.flatMap((r) => r.Instances).length;
    const bigger = spec('ec2-too-big');
    bigger.resources = { workers: { replicas: 2, machineType: 'g5.12xlarge' } };
    await expect(run(bigger)).rejects.toMatchObject({
      code: 'E_SPEC_INVALID',
      message: expect.stringMatching(
        /machineType: is not what stack strato-ec2-jobs launches \(g5\.xlarge\)/,
      ),
    });
    // A bucket that exists, but not the stack's: its worker role could not write there.
    awsCli(moto, ['s3api', 'create-bucket', '--bucket', 'another-bucket']);
    const elsewhere = spec('ec2-elsewhere');
    elsewhere.output = 's3://another-bucket/runs/ec2-elsewhere';
    await expect(run(elsewhere)).rejects.toMatchObject({
      message: expect.stringContaining(`set output: s3://${bucket}/runs/ec2-elsewhere`),
    });
    const missing = spec('ec2-no-stack');
    missing.provider = { name: 'ec2', stack: 'no-such-stack', region: 'us-east-1' };
    await expect(run(missing)).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      hint: expect.stringContaining('strato infra deploy infra/aws/app.ts -c stackName=no-such-stack'),
    });
    const after = (
      awsCli(moto, ['ec2', 'describe-instances']) as { Reservations: { Instances: CliInstance[] }[] }
    ).Reservations.flatMap((r) => r.Instances).length;
    expect(after).toBe(before);
  }, 60_000);

  it('GIVEN 2 instances THEN the user data runs each replica, the peers resolve by DNS name, logs come back, none is left', async () => {
    // A template version made outside the stack (by hand, or a deploy under way) is not what jobs launch.
    awsCli(moto, [
      'ec2',
      'create-launch-template-version',
      '--launch-template-id',
      templateId,
      '--source-version',
      templateVersion,
      '--launch-template-data',
      '{"InstanceType":"g5.2xlarge"}',
    ]);
    const job = await run(spec('ec2-ok'));
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(120_000) });
    const lines = await replicaLines(job);
    expect(status.state, lines.join('\n')).toBe('SUCCEEDED');
    expect(lines).toContain('worker-0: task 0 resolved every peer');
    expect(lines).toContain('worker-1: task 1 resolved every peer');
    // TF_CONFIG named the instances by their private DNS names (the placeholders were replaced).
    expect(lines.filter((l) => /^worker-0: resolved ip-[\d-]+\.ec2\.internal$/.test(l))).toHaveLength(2);
    // Each replica ran on its own instance, tagged as the job's.
    const tags = instancesOf(job.id).map((i) =>
      Object.fromEntries((i.Tags ?? []).map((t) => [t.Key, t.Value])),
    );
    expect(tags.map((t) => `${t['strato-attempt']}/${t['strato-replica']}`).sort()).toEqual([
      '1/worker-0',
      '1/worker-1',
    ]);
    // Launched from the version the stack's last deploy made, as AWS tags an instance from a template.
    expect(tags.map((t) => t['aws:ec2launchtemplate:version'])).toEqual([templateVersion, templateVersion]);
    await expectNoLiveInstanceOf(job.id);
  }, 180_000);

  it('GIVEN a replica exiting 3 THEN FAILED with its exit code and last lines from exit.json, none left', async () => {
    const job = await run(spec('ec2-fail', { PROBE_EXIT: '3' }));
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(120_000) });
    expect(status).toMatchObject({ state: 'FAILED', error: { exitCode: 3 } });
    expect(status.error?.lastLines?.join('\n')).toMatch(/resolved every peer/);
    await expectNoLiveInstanceOf(job.id);
  }, 180_000);

  it('GIVEN a spot instance terminated mid-run THEN a preemption: attempt 2 runs and SUCCEEDS, none left', async () => {
    const go = join(home.path, 'interrupted-go');
    const marks = join(home.path, 'interrupted-started');
    mkdirSync(marks);
    const input = spec('ec2-spot');
    input.scheduling = { spot: true, maxRestarts: 1 };
    // Attempt 1 marks that its program runs and waits until its instance goes; attempt 2 finds GO and ends.
    input.container.command = [
      'bash',
      '-c',
      'if [ -e "$GO" ]; then echo "attempt 2 done"; exit 0; fi; touch "$MARKS/$$"; sleep 300',
    ];
    input.container.env = { GO: go, MARKS: marks };
    const job = await run(input);
    await waitFor(
      () => readdirSync(marks).length === 2,
      'attempt 1 running its program on both instances',
      90_000,
    );
    writeFileSync(go, '');
    const victim = liveInstancesOf(job.id)[0]!.InstanceId;
    awsCli(moto, ['ec2', 'terminate-instances', '--instance-ids', victim]);
    const status = await job.wait({ pollIntervalMs: 200, signal: AbortSignal.timeout(150_000) });
    expect(status.state, JSON.stringify(status)).toBe('SUCCEEDED');
    expect(status.attempt).toBe(2);
    expect(status.restarts).toHaveLength(1);
    // Seen as the instance gone without an exit record, or as the user data's 143 when the shutdown's
    // SIGTERM let it write one first: both are a preemption.
    expect(status.restarts[0]!.reason).toMatch(new RegExp(`${victim} is terminated|exited with code 143`));
    await expectNoLiveInstanceOf(job.id);
  }, 240_000);

  it('GIVEN a running job WHEN it is cancelled THEN CANCELLED, and aws lists no live instance of it', async () => {
    const input = spec('ec2-cancel');
    input.container.command = ['sleep', '300'];
    const job = await run(input);
    await waitFor(
      async () => guests.running().length === 2 && (await job.status()).state === 'RUNNING',
      'the job running on both instances',
      90_000,
    );
    expect(liveInstancesOf(job.id)).toHaveLength(2);
    expect((await job.cancel()).state).toBe('CANCELLED');
    expect(liveInstancesOf(job.id)).toEqual([]);
    await expectNoLiveInstanceOf(job.id);
  }, 180_000);

  it('GIVEN `strato run` killed with SIGKILL mid-job THEN its controller (another process) cancels and terminates every instance', async () => {
    const file = join(home.path, 'killed.yaml');
    const input = spec('ec2-killed');
    input.container.command = ['sleep', '300'];
    writeFileSync(file, stringify(input));
    const cli = spawn(process.execPath, [join(REPO_ROOT, 'bin/strato.js'), 'run', file], {
      env: { ...env(), STRATO_HOME: home.path },
      stdio: 'ignore',
    });
    let jobId: string | undefined;
    try {
      const started = () => {
        const jobs = existsSync(join(home.path, 'jobs')) ? readdirSync(join(home.path, 'jobs')) : [];
        jobId = jobs.find((id) => id.startsWith('ec2-killed'));
        const dir = jobId === undefined ? undefined : join(home.path, 'jobs', jobId);
        return (
          dir !== undefined &&
          existsSync(join(dir, 'job.json')) &&
          existsSync(join(dir, 'controller.json')) &&
          guests.running().length === 2
        );
      };
      await waitFor(started, 'the job running on both instances', 90_000);
    } finally {
      cli.kill('SIGKILL');
    }
    // The controller sees its owner gone, cancels, and the lifecycle terminates the instances.
    await expectNoLiveInstanceOf(jobId!);
    expect(instancesOf(jobId!).map((i) => i.State.Name)).toEqual(['terminated', 'terminated']);
  }, 180_000);

  it('GIVEN a submit that never recorded its job THEN abandon (the launch guard) terminates what it launched, by tag', async () => {
    const ec2 = provider();
    const plan = planJob(parseJobSpec(spec('ec2-abandoned')), {
      ...(await ec2.planContext!('ec2-abandoned-000001', 2)),
    });
    let prepared: JobHandle | undefined;
    await ec2.submit(plan, {
      jobId: 'ec2-abandoned-000001',
      jobDir: home.path,
      baseDir: home.path,
      env: env(),
      onPrepared: (handle) => {
        prepared = handle;
      },
    });
    expect(liveInstancesOf('ec2-abandoned-000001')).toHaveLength(2);
    // The handle given before the first create knows no attempt: abandon finds the instances by their tag.
    expect(prepared!.data.attempts).toEqual([]);
    await ec2.abandon(prepared!);
    await ec2.abandon(prepared!); // idempotent
    await expectNoLiveInstanceOf('ec2-abandoned-000001');
  }, 120_000);
});
