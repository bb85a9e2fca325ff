/**
 * `strato infra plan|deploy|destroy FILE` when FILE is an AWS CDK app
 * (`infra/aws/app.ts`): the same verbs, carried out by the AWS bridge
 * (src/infra/aws) through CloudFormation. A CDK app keeps its own state in
 * its CloudFormation stack, so `show`, `outputs`, `import` and
 * `force-unlock` are the Google Cloud engine's alone.
 */

import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { StratoError } from '../../errors.ts';
import type { AwsStackEvent, TemplateDiff } from '../../infra/aws/index.ts';
import type { ParsedArgs } from '../command.ts';
import { confirmOnTerminal } from '../confirm.ts';
import type { CliIo } from '../io.ts';

/** True when the definition file is a CDK app: it imports aws-cdk-lib. */
export function isCdkApp(file: string | undefined, cwd: string): boolean {
  if (!file || !/\.(ts|mts|js|mjs)$/.test(file)) return false;
  try {
    return /from\s+['"]aws-cdk-lib/.test(readFileSync(resolve(cwd, file), 'utf8'));
  } catch {
    return false;
  }
}

const SIGN = { add: '+', modify: '~', remove: '-' } as const;

function renderDiff(stackName: string, diff: TemplateDiff, note: string): string {
  const lines = [`Stack ${stackName} (AWS CloudFormation${note})`, ''];
  for (const change of diff.resources) {
    const paths = change.paths.length > 0 ? `  (${change.paths.join(', ')})` : '';
    lines.push(`  ${SIGN[change.action]}  ${change.logicalId}  ${change.type}${paths}`);
  }
  for (const other of diff.other) lines.push(`  ~  ${other}`);
  const count = (action: keyof typeof SIGN) => diff.resources.filter((c) => c.action === action).length;
  lines.push(
    '',
    `Plan: ${count('add')} to add, ${count('modify')} to change, ${count('remove')} to remove${diff.other.length > 0 ? `, ${diff.other.length} output/parameter change(s)` : ''}.`,
  );
  return lines.join('\n');
}

const hasChanges = (diff: TemplateDiff) => diff.resources.length > 0 || diff.other.length > 0;

function confirmed(operation: string, args: ParsedArgs, io: CliIo): Promise<boolean> {
  return confirmOnTerminal(io, {
    yes: Boolean(args.values.yes),
    what: `${operation} changes cloud resources`,
    command: operation,
    question: `\n${operation === 'destroy' ? 'Destroy' : 'Deploy'} this stack? Only "yes" goes ahead: `,
  });
}

/** `-c key=value` pairs as CDK context; numbers and booleans as such, as the CDK CLI reads them. */
function contextOf(pairs: unknown): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  for (const pair of (pairs as string[] | undefined) ?? []) {
    const at = pair.indexOf('=');
    if (at < 1) {
      throw new StratoError('E_USAGE', `--context takes KEY=VALUE, not "${pair}"`, {
        hint: 'e.g. -c instanceCount=2 -c instanceType=g5.12xlarge',
      });
    }
    const value = pair.slice(at + 1);
    context[pair.slice(0, at)] = /^(true|false|-?\d+(\.\d+)?)$/.test(value) ? JSON.parse(value) : value;
  }
  return context;
}

export async function runAwsInfra(verb: string, file: string, args: ParsedArgs, io: CliIo): Promise<number> {
  const { planAwsStack, deployAwsStack, destroyAwsStack } = await import('../../infra/aws/index.ts');
  const options = { app: resolve(io.cwd, file), env: io.env, context: contextOf(args.values.context) };
  const json = Boolean(args.values.json);
  const onEvent = (event: AwsStackEvent) =>
    io.err(`  ${event.logicalId}: ${event.status}${event.reason ? ` (${event.reason})` : ''}`);
  switch (verb) {
    case 'plan': {
      const plan = await planAwsStack(options);
      const note = plan.offline ? ', offline: against the template last deployed from here' : '';
      io.out(json ? JSON.stringify(plan) : renderDiff(plan.stackName, plan.diff, note));
      return args.values['detailed-exitcode'] && hasChanges(plan.diff) ? 2 : 0;
    }
    case 'deploy': {
      const plan = await planAwsStack(options);
      if (!json) io.out(renderDiff(plan.stackName, plan.diff, ''));
      if (!hasChanges(plan.diff) && plan.deployedStatus) return 0;
      if (!(await confirmed('deploy', args, io))) {
        io.err('deploy cancelled: nothing was changed');
        return 1;
      }
      const result = await deployAwsStack({ ...options, onEvent });
      if (json) io.out(JSON.stringify(result));
      else {
        io.out(`\nDeployed: stack ${result.stackName} ${result.status}.`);
        for (const [key, value] of Object.entries(result.outputs)) io.out(`  ${key} = ${value}`);
      }
      return 0;
    }
    case 'destroy': {
      if (!(await confirmed('destroy', args, io))) {
        io.err('destroy cancelled: nothing was changed');
        return 1;
      }
      const result = await destroyAwsStack({ ...options, onEvent });
      if (json) io.out(JSON.stringify(result));
      else {
        io.out(`\nDestroyed: stack ${result.stackName}${result.deleted ? '' : ' (there was none)'}.`);
        for (const kept of result.retained) io.out(`  kept by its DeletionPolicy: ${kept}`);
      }
      return 0;
    }
    default:
      throw new StratoError('E_USAGE', `infra ${verb} is not for AWS CDK apps`, {
        hint: 'a CDK app keeps its state in its CloudFormation stack: use plan, deploy or destroy (outputs print after deploy)',
      });
  }
}
