/**
 * plan, deploy and destroy of a CDK app's stack through CloudFormation:
 * the SDK entry `strato infra` calls when a definition is a CDK app.
 *
 * - plan: synth, then diff against the deployed stack's template (GetTemplate);
 *   without credentials, against the template this machine last deployed
 *   (`<stateDir>/<stack>.template.json`), saying it is offline.
 * - deploy: CreateStack or UpdateStack with the synthesized template, then one
 *   event per resource status change until the stack settles, ending with its
 *   outputs. A stack whose creation failed (ROLLBACK_COMPLETE) cannot be
 *   updated: deploy deletes it first and says so.
 * - destroy: DeleteStack and its events. Nothing is emptied: a retained bucket
 *   stays and is named; a non-empty bucket that is not retained fails the
 *   delete with the bucket's name and the command that empties it.
 */

import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CloudFormationClient,
  CreateStackCommand,
  DeleteStackCommand,
  DescribeStackEventsCommand,
  DescribeStackResourcesCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  type Stack,
  type StackEvent,
  type StackResource,
  UpdateStackCommand,
} from '@aws-sdk/client-cloudformation';
import { StratoError } from '../../errors.ts';
import { writeJsonAtomic } from '../../internal/atomic-json.ts';
import { stratoHome } from '../../internal/home.ts';
import { sleep } from '../../internal/sleep.ts';
import { createCloudFormationClient } from './client.ts';
import { diffTemplates, type TemplateDiff } from './diff.ts';
import { isMissingCredentials, type ResourceFailure, stackFailedError, translateAwsError } from './errors.ts';
import { type CfnTemplate, type SynthOptions, synthAwsApp } from './synth.ts';

export interface AwsStackOptions extends SynthOptions {
  /** Where the last deployed template of each stack is kept for offline plans. Default `$STRATO_HOME/infra/aws`. */
  stateDir?: string;
  /** CloudFormation parameter values, by logical id (the DLAMI parameter takes another SSM path). */
  parameters?: Record<string, string>;
  /** Called for each resource status change while deploy or destroy waits. */
  onEvent?: (event: AwsStackEvent) => void;
  /** Time between DescribeStackEvents polls. Default 2000 ms (tests: less). */
  pollIntervalMs?: number;
  /** Give up waiting after this long. Default 60 min (a p5 fleet can take a while). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface AwsStackEvent {
  logicalId: string;
  type: string;
  status: string;
  reason?: string;
  time: Date;
}

export interface AwsPlan {
  stackName: string;
  /** CREATE_COMPLETE, UPDATE_COMPLETE, …; undefined when the stack does not exist. */
  deployedStatus: string | undefined;
  diff: TemplateDiff;
  /** True when compared against the last template this machine deployed, for lack of credentials. */
  offline: boolean;
}

export interface AwsDeployResult {
  stackName: string;
  action: 'create' | 'update' | 'none';
  status: string;
  outputs: Record<string, string>;
  diff: TemplateDiff;
}

export interface AwsDestroyResult {
  stackName: string;
  deleted: boolean;
  /** Resources kept by their DeletionPolicy (the data bucket by default): `logicalId (type)`. */
  retained: string[];
}

export async function planAwsStack(options: AwsStackOptions): Promise<AwsPlan> {
  const synth = await synthAwsApp(options);
  const env = options.env ?? process.env;
  try {
    const cfn = createCloudFormationClient(env, synth.region);
    const stack = await findStack(cfn, synth.stackName);
    const deployed = stack ? await getTemplate(cfn, synth.stackName) : undefined;
    return {
      stackName: synth.stackName,
      deployedStatus: stack?.StackStatus,
      diff: diffTemplates(deployed, synth.template),
      offline: false,
    };
  } catch (error) {
    if (!isMissingCredentials(error)) throw translateAwsError(error, 'plan', synth.stackName);
    const last = readLastTemplate(options, synth.stackName);
    if (!last) throw translateAwsError(error, 'plan', synth.stackName);
    return {
      stackName: synth.stackName,
      deployedStatus: undefined,
      diff: diffTemplates(last, synth.template),
      offline: true,
    };
  }
}

export async function deployAwsStack(options: AwsStackOptions): Promise<AwsDeployResult> {
  const synth = await synthAwsApp(options);
  const { stackName } = synth;
  const cfn = createCloudFormationClient(options.env ?? process.env, synth.region);
  try {
    let stack = await findStack(cfn, stackName);
    if (stack?.StackStatus === 'ROLLBACK_COMPLETE' || stack?.StackStatus === 'ROLLBACK_FAILED') {
      // CloudFormation allows only deleting a stack whose creation failed.
      report(options, {
        logicalId: stackName,
        type: 'AWS::CloudFormation::Stack',
        status: `${stack.StackStatus}: deleting it to create it again`,
        time: new Date(),
      });
      await deleteAndWait(cfn, stackName, options);
      stack = undefined;
    }
    if (stack?.StackStatus?.endsWith('_IN_PROGRESS')) {
      throw new StratoError(
        'E_CONFLICT',
        `stack ${stackName} is ${stack.StackStatus}: ${await resourceSummary(cfn, stackName)}`,
        {
          hint: 'Wait for the operation in progress to end and deploy again; if it is stuck, `strato infra destroy` removes what it made.',
        },
      );
    }
    const deployed = stack ? await getTemplate(cfn, stackName) : undefined;
    const diff = diffTemplates(deployed, synth.template);
    const parameters = Object.entries(options.parameters ?? {}).map(([ParameterKey, ParameterValue]) => ({
      ParameterKey,
      ParameterValue,
    }));
    const request = {
      StackName: stackName,
      TemplateBody: synth.templateBody,
      Parameters: parameters,
      Capabilities: ['CAPABILITY_IAM' as const, 'CAPABILITY_NAMED_IAM' as const],
    };
    const since = new Date();
    let action: AwsDeployResult['action'];
    try {
      if (!stack) {
        await cfn.send(new CreateStackCommand({ ...request, OnFailure: 'ROLLBACK' }));
        action = 'create';
      } else {
        try {
          await cfn.send(new UpdateStackCommand(request));
          action = 'update';
        } catch (error) {
          if (!/No updates are to be performed/.test((error as Error).message ?? '')) throw error;
          action = 'none';
        }
      }
    } catch (error) {
      throw await failedMidway(cfn, stackName, error);
    }
    const final = action === 'none' ? stack! : await waitForStack(cfn, stackName, since, options);
    const status = final.StackStatus ?? 'UNKNOWN';
    if (!/_COMPLETE$/.test(status) || /ROLLBACK/.test(status)) {
      throw stackFailedError(stackName, status, await failures(cfn, stackName, since, final));
    }
    saveLastTemplate(options, stackName, synth.template);
    const outputs = Object.fromEntries(
      (final.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue ?? '']),
    );
    return { stackName, action, status, outputs, diff };
  } catch (error) {
    throw translateAwsError(error, 'deploy', stackName);
  }
}

export async function destroyAwsStack(options: AwsStackOptions): Promise<AwsDestroyResult> {
  const synth = await synthAwsApp(options);
  const { stackName } = synth;
  const cfn = createCloudFormationClient(options.env ?? process.env, synth.region);
  try {
    const stack = await findStack(cfn, stackName);
    if (!stack) return { stackName, deleted: false, retained: [] };
    const deployed = await getTemplate(cfn, stackName);
    await deleteAndWait(cfn, stackName, options);
    const retained = Object.entries(deployed.Resources ?? {})
      .filter(([, r]) => r.DeletionPolicy === 'Retain')
      .map(([id, r]) => `${id} (${r.Type})`);
    return { stackName, deleted: true, retained };
  } catch (error) {
    throw translateAwsError(error, 'destroy', stackName);
  }
}

async function deleteAndWait(
  cfn: CloudFormationClient,
  stackName: string,
  options: AwsStackOptions,
): Promise<void> {
  const since = new Date();
  await cfn.send(new DeleteStackCommand({ StackName: stackName }));
  const final = await waitForStack(cfn, stackName, since, options);
  if (final.StackStatus !== 'DELETE_COMPLETE') {
    throw stackFailedError(
      stackName,
      final.StackStatus ?? 'UNKNOWN',
      await failures(cfn, stackName, since, final),
    );
  }
}

async function findStack(cfn: CloudFormationClient, stackName: string): Promise<Stack | undefined> {
  try {
    const { Stacks } = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
    const stack = Stacks?.[0];
    return stack?.StackStatus === 'DELETE_COMPLETE' ? undefined : stack;
  } catch (error) {
    if (/does not exist/.test((error as Error).message ?? '')) return undefined;
    throw error;
  }
}

async function getTemplate(cfn: CloudFormationClient, stackName: string): Promise<CfnTemplate> {
  const { TemplateBody } = await cfn.send(
    new GetTemplateCommand({ StackName: stackName, TemplateStage: 'Original' }),
  );
  return JSON.parse(TemplateBody ?? '{}') as CfnTemplate;
}

/**
 * Polls until the stack leaves *_IN_PROGRESS, reporting each resource's
 * status once per change, oldest first: from the stack's events (with the
 * reason) and from DescribeStackResources, which also covers a
 * CloudFormation that records no per-resource events (moto records only the
 * stack's).
 */
async function waitForStack(
  cfn: CloudFormationClient,
  stackName: string,
  since: Date,
  options: AwsStackOptions,
): Promise<Stack> {
  const lastStatus = new Map<string, string>();
  const emit = (event: AwsStackEvent) => {
    const key = event.logicalId;
    if (lastStatus.get(key) === event.status) return;
    lastStatus.set(key, event.status);
    report(options, event);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 60 * 60_000);
  for (;;) {
    for (const event of await eventsSince(cfn, stackName, since)) {
      emit({
        logicalId: event.LogicalResourceId ?? '',
        type: event.ResourceType ?? '',
        status: event.ResourceStatus ?? '',
        ...(event.ResourceStatusReason ? { reason: event.ResourceStatusReason } : {}),
        time: event.Timestamp ?? new Date(),
      });
    }
    for (const resource of await resourcesOf(cfn, stackName)) {
      emit({
        logicalId: resource.LogicalResourceId ?? '',
        type: resource.ResourceType ?? '',
        status: resource.ResourceStatus ?? '',
        ...(resource.ResourceStatusReason ? { reason: resource.ResourceStatusReason } : {}),
        time: resource.Timestamp ?? new Date(),
      });
    }
    const stack = await findStack(cfn, stackName);
    if (!stack) return { StackName: stackName, StackStatus: 'DELETE_COMPLETE', CreationTime: since };
    if (!stack.StackStatus?.endsWith('_IN_PROGRESS')) return stack;
    if (Date.now() > deadline) return stack;
    await sleep(options.pollIntervalMs ?? 2000, options.signal);
  }
}

async function resourcesOf(cfn: CloudFormationClient, stackName: string): Promise<StackResource[]> {
  try {
    const { StackResources } = await cfn.send(new DescribeStackResourcesCommand({ StackName: stackName }));
    return StackResources ?? [];
  } catch (error) {
    if (/does not exist/.test((error as Error).message ?? '')) return [];
    throw error;
  }
}

async function eventsSince(cfn: CloudFormationClient, stackName: string, since: Date): Promise<StackEvent[]> {
  try {
    const { StackEvents } = await cfn.send(new DescribeStackEventsCommand({ StackName: stackName }));
    // Second precision: CloudFormation's timestamps may round below `since`.
    return (StackEvents ?? [])
      .filter((e) => (e.Timestamp?.getTime() ?? 0) >= since.getTime() - 1000)
      .reverse();
  } catch (error) {
    if (/does not exist/.test((error as Error).message ?? '')) return [];
    throw error;
  }
}

async function failures(
  cfn: CloudFormationClient,
  stackName: string,
  since: Date,
  stack: Stack,
): Promise<ResourceFailure[]> {
  const found = (await eventsSince(cfn, stackName, since))
    .filter((e) => e.ResourceStatus?.endsWith('_FAILED') && e.LogicalResourceId !== stackName)
    .map((e) => ({
      logicalId: e.LogicalResourceId ?? '',
      type: e.ResourceType ?? '',
      status: e.ResourceStatus ?? '',
      reason: e.ResourceStatusReason ?? 'no reason given',
    }));
  if (found.length === 0 && stack.StackStatusReason)
    found.push({
      logicalId: stackName,
      type: 'AWS::CloudFormation::Stack',
      status: stack.StackStatus ?? '',
      reason: stack.StackStatusReason,
    });
  return found;
}

/**
 * A create or update that the service refused after it had begun (moto
 * refuses synchronously, part-way through; AWS reports it in events
 * instead): the error with the stack's state and what exists of it.
 */
async function failedMidway(cfn: CloudFormationClient, stackName: string, error: unknown): Promise<unknown> {
  const stack = await findStack(cfn, stackName).catch(() => undefined);
  if (!stack) return error;
  const translated = translateAwsError(error, 'deploy', stackName);
  return new StratoError(
    translated.code === 'E_TRANSIENT' ? 'E_INVALID_REQUEST' : translated.code,
    `${translated.message}\nstack ${stackName} is ${stack.StackStatus}: ${await resourceSummary(cfn, stackName)}`,
    {
      hint: 'Fix the cause and deploy again, or `strato infra destroy` to remove what was made.',
      cause: error,
    },
  );
}

/** `12 resources: 11 CREATE_COMPLETE, 1 CREATE_FAILED (Data)`. */
async function resourceSummary(cfn: CloudFormationClient, stackName: string): Promise<string> {
  const resources = await resourcesOf(cfn, stackName).catch(() => []);
  const byStatus = new Map<string, string[]>();
  for (const r of resources) {
    const status = r.ResourceStatus ?? 'UNKNOWN';
    byStatus.set(status, [...(byStatus.get(status) ?? []), r.LogicalResourceId ?? '?']);
  }
  const parts = [...byStatus].map(([status, ids]) =>
    status.endsWith('_COMPLETE') ? `${ids.length} ${status}` : `${ids.length} ${status} (${ids.join(', ')})`,
  );
  return `${resources.length} resources${parts.length ? `: ${parts.join(', ')}` : ''}`;
}

function report(options: AwsStackOptions, event: AwsStackEvent): void {
  options.onEvent?.(event);
}

function lastTemplatePath(options: AwsStackOptions, stackName: string): string {
  const dir = options.stateDir ?? join(stratoHome(options.env ?? process.env), 'infra', 'aws');
  return join(dir, `${stackName}.template.json`);
}

function saveLastTemplate(options: AwsStackOptions, stackName: string, template: CfnTemplate): void {
  const path = lastTemplatePath(options, stackName);
  mkdirSync(join(path, '..'), { recursive: true });
  writeJsonAtomic(path, template);
}

function readLastTemplate(options: AwsStackOptions, stackName: string): CfnTemplate | undefined {
  try {
    return JSON.parse(readFileSync(lastTemplatePath(options, stackName), 'utf8')) as CfnTemplate;
  } catch {
    return undefined;
  }
}
