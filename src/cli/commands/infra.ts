/**
 * `strato infra VERB [FILE]`: plan, deploy, destroy, show, outputs, import,
 * force-unlock — a thin shell over the SDK's infra engine (src/infra).
 */

import { StratoError } from '../../errors.ts';
import {
  forceUnlock,
  type InfraOptions,
  importResource,
  openStack,
  outputsOf,
  planStack,
} from '../../infra/engine.ts';
import type { Command } from '../command.ts';
import { runApply } from './infra-apply.ts';
import { isCdkApp, runAwsInfra } from './infra-aws.ts';
import { planJson, renderOutputs, renderPlan, renderState } from './infra-render.ts';

const VERBS = ['plan', 'deploy', 'destroy', 'show', 'outputs', 'import', 'force-unlock'] as const;
type Verb = (typeof VERBS)[number];

export const infraCommand: Command = {
  name: 'infra',
  summary:
    'Provision buckets, TPU slices, GPU VMs and their service accounts from a stack: plan, deploy, destroy (like Terraform).',
  usage: `${VERBS.join('|')} [ID] [FILE] [options]`,
  description: `
A stack is infra/<stack>.ts (default export: a Stack, or a function returning one) or the same
constructs in YAML (kind: Stack). FILE is its path, or its name in infra/; without FILE, the one
stack in infra/. State: <stack folder>/.strato/infra/<stack>.state.json, or --state gs://BUCKET/PATH.

  plan [FILE]              desired vs recorded vs actual: + create, ~ update, -/+ replace, - delete,
                           drift, resources that exist but are not managed, hourly cost
  deploy [FILE]            show the plan, confirm (--yes), apply in dependency order; state saved per resource
  destroy [FILE]           delete every recorded resource, dependents first
  show [FILE]              what the state records
  outputs [FILE]           bucket URIs, addresses, endpoints (--json for job specs and scripts)
  import ID [FILE]         record an existing cloud resource under resource ID and label it as the
                           stack's (never done silently)
  force-unlock LOCK [FILE] release the stack's lock LOCK (as named by the error) after a crash elsewhere

Exit codes: 0 ok (plan: with --detailed-exitcode, 2 when there are changes), 1 failed, 2 bad input.
Credentials: Application Default Credentials (gcloud auth application-default login).
On AWS, FILE is a CDK app (infra/aws/app.ts): plan, deploy and destroy its CloudFormation stack;
credentials from the AWS chain (aws configure), AWS_ENDPOINT_URL for another endpoint (moto).
Against the fake cloud: run strato fake-cloud and export what it prints (STORAGE_EMULATOR_HOST,
STRATO_COMPUTE_ENDPOINT, STRATO_TPU_ENDPOINT, STRATO_IAM_ENDPOINT, STRATO_RESOURCE_MANAGER_ENDPOINT,
STRATO_ARTIFACT_REGISTRY_ENDPOINT).`,
  options: {
    state: {
      type: 'string',
      valueName: 'URI',
      description: 'Where the state is: a file path or gs://BUCKET/PATH.',
    },
    json: { type: 'boolean', description: 'Print JSON (plan, show, outputs, deploy, destroy).' },
    'detailed-exitcode': {
      type: 'boolean',
      description: 'plan: exit 2 when there are changes, 0 when none (as Terraform).',
    },
    yes: { type: 'boolean', short: 'y', description: 'deploy/destroy: apply without asking.' },
    'no-wait': {
      type: 'boolean',
      description: 'deploy: return once long operations are accepted (a queued TPU), without waiting.',
    },
    context: {
      type: 'string',
      short: 'c',
      multiple: true,
      valueName: 'KEY=VALUE',
      description: 'AWS CDK app: a context value (its props), e.g. -c instanceCount=2.',
    },
    parallelism: {
      type: 'string',
      valueName: 'N',
      description: 'deploy/destroy: resources worked on at once (default 32).',
    },
  },
  async run(args, io) {
    const [verb, ...rest] = args.positionals;
    if (!VERBS.includes(verb as Verb)) {
      throw new StratoError('E_USAGE', verb ? `unknown infra verb "${verb}"` : 'missing the verb', {
        hint: `usage: strato infra ${this.usage}`,
      });
    }
    const needsId = verb === 'import' || verb === 'force-unlock';
    const [id, file, extra] = needsId ? rest : [undefined, ...rest];
    if (needsId && !id)
      throw new StratoError(
        'E_USAGE',
        `${verb} needs ${verb === 'import' ? 'the resource ID' : 'the lock ID'}`,
        { hint: `usage: strato infra ${verb} ID [FILE]` },
      );
    if (extra !== undefined || (!needsId && rest.length > 1)) {
      throw new StratoError('E_USAGE', `unexpected argument "${needsId ? extra : rest[1]}"`, {
        hint: `usage: strato infra ${this.usage}`,
      });
    }
    // An AWS CDK app (infra/aws/app.ts): the same verbs, through CloudFormation.
    if (file && isCdkApp(file, io.cwd)) return runAwsInfra(verb as Verb, file, args, io);
    const options: InfraOptions = {
      ...(file ? { file } : {}),
      cwd: io.cwd,
      env: io.env,
      ...(typeof args.values.state === 'string' ? { state: args.values.state } : {}),
      ...(io.env.STORAGE_EMULATOR_HOST ? { endpoints: { storage: io.env.STORAGE_EMULATOR_HOST } } : {}),
    };
    const json = Boolean(args.values.json);
    switch (verb as Verb) {
      case 'plan': {
        const { plan, backend } = await planStack(options);
        io.out(json ? JSON.stringify(planJson(plan, backend.where)) : renderPlan(plan, backend.where));
        return args.values['detailed-exitcode'] && plan.hasChanges ? 2 : 0;
      }
      case 'deploy':
      case 'destroy':
        return runApply(verb as 'deploy' | 'destroy', options, args, io);
      case 'show': {
        const { state, backend } = await openStack(options);
        const holder = await backend.holder();
        if (json) io.out(JSON.stringify({ ...state, state: backend.where, lock: holder ?? null }));
        else {
          io.out(renderState(state, backend.where));
          if (holder)
            io.out(
              `\nlocked: ${holder.operation} by ${holder.who} (pid ${holder.pid}) since ${holder.createdAt}, lock id ${holder.id}`,
            );
        }
        return 0;
      }
      case 'outputs': {
        const { state } = await openStack(options);
        io.out(json ? JSON.stringify(outputsOf(state)) : renderOutputs(outputsOf(state)));
        return 0;
      }
      case 'import': {
        const opened = await importResource({ ...options, id: id! });
        const record = opened.state.resources.find((r) => r.id === id);
        io.out(
          json
            ? JSON.stringify(record)
            : `imported ${id}: ${record?.kind} ${record?.ref.name} (state: ${opened.backend.where}); run \`strato infra plan\` to see what differs from the definitions`,
        );
        return 0;
      }
      case 'force-unlock': {
        const released = await forceUnlock({ ...options, id: id! });
        io.out(
          `released lock ${released.id} (${released.operation} by ${released.who}, pid ${released.pid})`,
        );
        return 0;
      }
    }
  },
};
