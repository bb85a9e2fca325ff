/** The AWS bridge: a CDK app's stack planned, deployed and destroyed through CloudFormation. */

export type { ResourceChange, TemplateDiff } from './diff.ts';
export { diffTemplates, isEmptyDiff } from './diff.ts';
export type { AwsDeployResult, AwsDestroyResult, AwsPlan, AwsStackEvent, AwsStackOptions } from './stack.ts';
export { deployAwsStack, destroyAwsStack, planAwsStack } from './stack.ts';
export type { SynthesizedStack, SynthOptions } from './synth.ts';
export { synthAwsApp } from './synth.ts';
