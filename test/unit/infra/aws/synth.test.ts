/**
 * synthAwsApp runs a CDK app as the CDK CLI does and reads its assembly;
 * an app that needs a context lookup, or that refuses its props, fails with
 * a Strato error, not a child's stack trace. diffTemplates, pure.
 */

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError } from '../../../../src/errors.ts';
import { diffTemplates, isEmptyDiff, synthAwsApp } from '../../../../src/infra/aws/index.ts';

const ROOT = join(import.meta.dirname, '../../../..');
const APP = join(ROOT, 'infra/aws/app.ts');

describe('synthAwsApp', () => {
  it('synthesizes the example app from context: the stack, its region, its template', {
    timeout: 60_000,
  }, async () => {
    const stack = await synthAwsApp({
      app: APP,
      context: { stackName: 'ctx', region: 'us-west-2', instanceCount: '3', spot: 'true' },
      validate: false,
    });
    expect(stack.stackName).toBe('ctx');
    expect(stack.region).toBe('us-west-2');
    const types = Object.values(stack.template.Resources ?? {}).map((r) => r.Type);
    expect(types.filter((t) => t === 'AWS::EC2::Instance')).toHaveLength(3);
  });

  it('refuses an app that asks for missing context (availability zones) instead of looking it up', {
    timeout: 60_000,
  }, async () => {
    const error = await synthAwsApp({
      app: join(ROOT, 'test/fixtures/cdk/asks-for-zones.ts'),
      validate: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).issues[0]?.path).toMatch(
      /^context\.availability-zones:account=123456789012:region=us-east-1/,
    );
    expect((error as SpecError).message).toMatch(/availabilityZones/);
  });

  it('re-raises the app’s prop errors with their field paths, exit code 2', { timeout: 60_000 }, async () => {
    const error = await synthAwsApp({
      app: APP,
      context: { instanceType: 't3.micro', region: 'us-east-1' },
      validate: false,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpecError);
    expect((error as SpecError).issues[0]).toMatchObject({ path: 'instanceType', received: 't3.micro' });
    expect((error as SpecError).exitCode).toBe(2);
  });
});

describe('diffTemplates', () => {
  const base = {
    Resources: {
      A: { Type: 'AWS::S3::Bucket', Properties: { X: { Y: 1, Z: 2 } } },
      B: { Type: 'AWS::EC2::VPC' },
    },
    Outputs: { O: { Value: 'a' } },
  };

  it('is empty for the same template, and lists adds, removes and modified property paths', () => {
    expect(isEmptyDiff(diffTemplates(base, structuredClone(base)))).toBe(true);
    const next = {
      Resources: {
        A: { Type: 'AWS::S3::Bucket', Properties: { X: { Y: 1, Z: 3 } } },
        C: { Type: 'AWS::EC2::Instance' },
      },
      Outputs: { O: { Value: 'b' } },
    };
    const diff = diffTemplates(base, next);
    expect(diff.resources).toEqual([
      { logicalId: 'A', type: 'AWS::S3::Bucket', action: 'modify', paths: ['Properties.X.Z'] },
      { logicalId: 'C', type: 'AWS::EC2::Instance', action: 'add', paths: [] },
      { logicalId: 'B', type: 'AWS::EC2::VPC', action: 'remove', paths: [] },
    ]);
    expect(diff.other).toEqual(['Outputs.O.Value']);
  });

  it('against no deployed stack, adds everything', () => {
    expect(diffTemplates(undefined, base).resources.map((r) => r.action)).toEqual(['add', 'add']);
  });
});
