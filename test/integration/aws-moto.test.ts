/**
 * The example CDK stack (infra/aws/app.ts) deployed, re-planned, updated and
 * destroyed through the SDK's AWS bridge against moto_server, with the `aws`
 * CLI as the independent check of what exists.
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AwsStackEvent,
  type AwsStackOptions,
  deployAwsStack,
  destroyAwsStack,
  isEmptyDiff,
  planAwsStack,
} from '../../src/infra/aws/index.ts';
import { awsCli, type Moto, removeRouteTablesMotoCannotDelete, startMoto } from '../support/moto.ts';

const APP = join(import.meta.dirname, '../../infra/aws/app.ts');
const STACK = 'strato-moto';

let moto: Moto;
let stateDir: string;

beforeAll(async () => {
  moto = await startMoto();
  stateDir = mkdtempSync(join(tmpdir(), 'strato-aws-state-'));
});
afterAll(async () => {
  await moto?.stop();
});

function options(context: Record<string, unknown>, events?: AwsStackEvent[]): AwsStackOptions {
  return {
    app: APP,
    context: { stackName: STACK, region: 'us-east-1', ...context },
    env: { ...process.env, ...moto.env },
    stateDir,
    validate: false, // the built-in validation costs ~13 s a synth; nag.test.ts and lint cover the template
    pollIntervalMs: 100,
    ...(events ? { onEvent: (e: AwsStackEvent) => events.push(e) } : {}),
  };
}

interface Instance {
  InstanceId: string;
  InstanceType: string;
  State: { Name: string };
  MetadataOptions?: { HttpTokens?: string };
}

function instancesOfStack(): Instance[] {
  const answer = awsCli(moto, [
    'ec2',
    'describe-instances',
    '--filters',
    `Name=tag:strato:stack,Values=${STACK}`,
  ]) as { Reservations: { Instances: Instance[] }[] };
  return answer.Reservations.flatMap((r) => r.Instances);
}

describe('the training stack on moto', () => {
  it('deploys with per-resource events and outputs; aws sees the stack, a running g5 and a blocked-public bucket', {
    timeout: 120_000,
  }, async () => {
    const events: AwsStackEvent[] = [];
    const result = await deployAwsStack(options({ instanceCount: 1 }, events));

    expect(result.action).toBe('create');
    expect(result.status).toBe('CREATE_COMPLETE');
    expect(result.outputs.BucketName).toMatch(/^strato-moto-data/);
    expect(result.outputs.Worker0InstanceId).toMatch(/^i-/);
    expect(events.some((e) => e.logicalId === 'Worker0' && e.status === 'CREATE_COMPLETE')).toBe(true);
    expect(events.some((e) => e.type === 'AWS::S3::Bucket' && e.status === 'CREATE_COMPLETE')).toBe(true);

    const { Stacks } = awsCli(moto, ['cloudformation', 'describe-stacks', '--stack-name', STACK]) as {
      Stacks: { StackStatus: string }[];
    };
    expect(Stacks[0]?.StackStatus).toBe('CREATE_COMPLETE');
    const running = instancesOfStack().filter((i) => i.State.Name === 'running');
    expect(running.map((i) => i.InstanceType)).toEqual(['g5.xlarge']);
    const block = awsCli(moto, [
      's3api',
      'get-public-access-block',
      '--bucket',
      result.outputs.BucketName!,
    ]) as {
      PublicAccessBlockConfiguration: Record<string, boolean>;
    };
    expect(block.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });
  });

  it('re-plans with no changes, online and offline (no credentials: the last deployed template)', {
    timeout: 60_000,
  }, async () => {
    const plan = await planAwsStack(options({ instanceCount: 1 }));
    expect(plan.offline).toBe(false);
    expect(plan.deployedStatus).toBe('CREATE_COMPLETE');
    expect(plan.diff).toEqual({ resources: [], other: [] });

    const offline = await planAwsStack({
      ...options({ instanceCount: 2 }),
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_EC2_METADATA_DISABLED: 'true',
      },
    });
    expect(offline.offline).toBe(true);
    expect(offline.diff.resources.map((r) => `${r.action} ${r.logicalId}`)).toEqual(['add Worker1']);
  });

  it('updates when a prop changes: a second instance, and the plan after it is empty', {
    timeout: 120_000,
  }, async () => {
    const plan = await planAwsStack(options({ instanceCount: 2 }));
    expect(plan.diff.resources.map((r) => `${r.action} ${r.logicalId}`)).toEqual(['add Worker1']);
    const result = await deployAwsStack(options({ instanceCount: 2 }));
    expect(result.action).toBe('update');
    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(result.outputs.Worker1InstanceId).toMatch(/^i-/);
    expect(instancesOfStack().filter((i) => i.State.Name === 'running')).toHaveLength(2);
    expect(isEmptyDiff((await planAwsStack(options({ instanceCount: 2 }))).diff)).toBe(true);
  });

  it('destroys: the stack is gone, no instance runs, the retained data bucket is named', {
    timeout: 120_000,
  }, async () => {
    removeRouteTablesMotoCannotDelete(moto, STACK);
    const result = await destroyAwsStack(options({ instanceCount: 2 }));
    expect(result.deleted).toBe(true);
    expect(result.retained.some((r) => r.includes('AWS::S3::Bucket'))).toBe(true);
    expect(() => awsCli(moto, ['cloudformation', 'describe-stacks', '--stack-name', STACK])).toThrow(
      /does not exist/,
    );
    expect(instancesOfStack().filter((i) => i.State.Name !== 'terminated')).toEqual([]);
    // A second destroy finds nothing to do.
    expect((await destroyAwsStack(options({ instanceCount: 2 }))).deleted).toBe(false);
  });
});

describe('a deploy that fails mid-way', () => {
  const FAILING = 'strato-midway';
  const taken = 'strato-taken-bucket';
  const withStack = (context: Record<string, unknown>) => ({
    ...options(context),
    app: join(import.meta.dirname, '../fixtures/cdk/midway.ts'),
    context: { ...context, stackName: FAILING },
  });

  it('shows the stack state and the error; destroy cleans up and a fixed deploy then succeeds', {
    timeout: 180_000,
  }, async () => {
    // A bucket name already taken: moto refuses the bucket part-way through CreateStack.
    awsCli(moto, ['s3api', 'create-bucket', '--bucket', taken]);
    const error = (await deployAwsStack(withStack({ clash: taken })).catch((e: unknown) => e)) as {
      code: string;
      message: string;
      hint: string;
    };
    expect(error.message).toMatch(/bucket name is not available/);
    expect(error.message).toMatch(new RegExp(`stack ${FAILING} is CREATE_IN_PROGRESS: \\d+ resources`));
    expect(error.hint).toMatch(/strato infra destroy/);

    // A second deploy does not pile onto the stuck one: it says so.
    await expect(deployAwsStack(withStack({ clash: taken }))).rejects.toMatchObject({
      code: 'E_CONFLICT',
    });

    // moto's gap: it leaves the stack CREATE_IN_PROGRESS and retries the refused resource on
    // every later read of the stack, so nothing can read or delete it while the cause remains
    // (AWS rolls back to ROLLBACK_COMPLETE, which deploy deletes and recreates). The user's fix
    // here — freeing the name — also unblocks moto; then destroy removes everything.
    awsCli(moto, ['s3api', 'delete-bucket', '--bucket', taken]);
    removeRouteTablesMotoCannotDelete(moto, FAILING);
    expect((await destroyAwsStack(withStack({ clash: taken }))).deleted).toBe(true);
    expect(() => awsCli(moto, ['cloudformation', 'describe-stacks', '--stack-name', FAILING])).toThrow(
      /does not exist/,
    );
    // The same deploy again, its name free now: the whole stack is created.
    const fixed = await deployAwsStack(withStack({ clash: taken }));
    expect(fixed.status).toBe('CREATE_COMPLETE');
    removeRouteTablesMotoCannotDelete(moto, FAILING);
    expect((await destroyAwsStack(withStack({ clash: taken }))).deleted).toBe(true);
  });
});

describe('credentials', () => {
  it('none anywhere: E_AUTH naming aws configure and aws sso login', { timeout: 60_000 }, async () => {
    const error = await deployAwsStack({
      ...options({ stackName: 'strato-no-creds' }),
      env: {
        PATH: process.env.PATH,
        AWS_REGION: 'us-east-1',
        AWS_CONFIG_FILE: '/nonexistent',
        AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_ENDPOINT_URL: moto.endpoint,
      },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'E_AUTH' });
    expect((error as { hint: string }).hint).toMatch(/aws configure/);
    expect((error as { hint: string }).hint).toMatch(/aws sso login/);
  });
});

// The aws CLI is this file's independent client; fail loudly where it is missing.
execFileSync('aws', ['--version'], { stdio: 'ignore' });
