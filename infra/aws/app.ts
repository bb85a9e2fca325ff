/**
 * The example CDK app: one TrainingStack, its props from CDK context
 * (`strato infra … -c instanceCount=2`, or cdk.json's `context`), so the same
 * file serves every deploy. Run by the Strato SDK (or `cdk synth`) with
 * CDK_OUTDIR set; prints nothing on success.
 *
 * Context keys: stackName, region (default AWS_REGION, then us-east-1),
 * availabilityZone, instanceType, instanceCount, gpusPerInstance, spot,
 * rootVolumeGb, bucketName, checkpointRetentionDays, runsInfrequentAccessDays,
 * removeBucketOnDestroy, amiSsmParameter. Numbers and booleans may come as
 * strings (the CLI's -c key=value).
 */

import { App } from 'aws-cdk-lib';
import { type TrainingStackInput, TrainingStackPropsSchema } from './props.ts';
import { runCdkApp } from './run.ts';
import { TrainingStack } from './training-stack.ts';

runCdkApp(() => {
  const app = new App();
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(TrainingStackPropsSchema.shape)) {
    const value = app.node.tryGetContext(key);
    if (value !== undefined) props[key] = fromContext(value);
  }
  props.region ??= process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const stackName = String(app.node.tryGetContext('stackName') ?? 'strato-training');
  // Validated inside (parseTrainingStackProps): the cast only names the shape.
  new TrainingStack(app, stackName, props as TrainingStackInput);
  app.synth();
});

/** `-c spot=true` arrives as the string "true": numbers and booleans back to their types. */
function fromContext(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return value;
}
