/**
 * `strato infra plan | deploy | destroy infra/aws/app.ts` as a user runs it:
 * the CLI as a process, the AWS bridge inside it, moto (AWS's own fake) on
 * loopback, and the `aws` CLI as the independent check of what exists.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/local.ts';
import {
  awsCli,
  type Moto,
  removeRouteTablesMotoCannotDelete,
  requireMoto,
  startMoto,
} from '../support/moto.ts';

requireMoto();
const run = promisify(execFile);
const STACK = 'strato-cli-test';

let moto: Moto;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

async function strato(...args: string[]): Promise<{ code: number; out: string }> {
  const argv = ['bin/strato.js', 'infra', ...args, 'infra/aws/app.ts', '-c', `stackName=${STACK}`];
  try {
    const { stdout, stderr } = await run(process.execPath, argv, {
      cwd: REPO_ROOT,
      env: { ...process.env, ...moto.env },
      timeout: 170_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, out: failed.stdout + failed.stderr };
  }
}

const stacks = () =>
  (
    awsCli(moto, ['cloudformation', 'list-stacks']) as {
      StackSummaries: { StackName: string; StackStatus: string }[];
    }
  ).StackSummaries.filter((s) => s.StackName === STACK && s.StackStatus !== 'DELETE_COMPLETE');

describe('strato infra on an AWS CDK app, against moto', { timeout: 600_000 }, () => {
  it('plans, deploys, has nothing left to do, and destroys', async () => {
    const first = await strato('plan', '--detailed-exitcode');
    expect(first.code, first.out).toBe(2);
    expect(first.out).toMatch(/\+ {2}Data\w+ {2}AWS::S3::Bucket/);

    const refused = await strato('deploy');
    expect(refused.code, refused.out).toBe(2);
    expect(refused.out).toContain('add --yes');

    const deploy = await strato('deploy', '--yes');
    expect(deploy.code, deploy.out).toBe(0);
    expect(deploy.out).toContain(`Deployed: stack ${STACK} CREATE_COMPLETE`);
    expect(stacks().map((s) => s.StackStatus)).toEqual(['CREATE_COMPLETE']);

    const second = await strato('plan', '--detailed-exitcode');
    expect(second.code, second.out).toBe(0);
    expect(second.out).toContain('Plan: 0 to add, 0 to change, 0 to remove.');

    removeRouteTablesMotoCannotDelete(moto, STACK);
    const destroy = await strato('destroy', '--yes');
    expect(destroy.code, destroy.out).toBe(0);
    expect(stacks()).toEqual([]);
  });
});
