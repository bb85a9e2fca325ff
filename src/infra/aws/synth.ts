/**
 * Synthesizes a CDK app the way the CDK CLI does: runs it as a program with
 * CDK_OUTDIR and CDK_CONTEXT_JSON set and reads the cloud assembly it writes
 * (manifest.json, one template per stack). Any CDK app works, in
 * TypeScript (Node 24 strips the types) or JavaScript.
 *
 * A synth that needed context it did not have (an availability-zone or AMI
 * lookup) is refused with the keys to supply: looking them up would make the
 * template depend on whichever account ran the synth.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SpecError, type SpecIssue, StratoError } from '../../errors.ts';

/** The prefix of the stderr line on which an app reports a Strato error (infra/aws/run.ts). */
export const APP_ERROR_MARKER = 'STRATO_APP_ERROR ';

export interface SynthOptions {
  /** The CDK app's entry file, e.g. `infra/aws/app.ts`. */
  app: string;
  /** CDK context (`-c key=value`): the app's props. */
  context?: Record<string, unknown>;
  /** Which stack, when the app has several. */
  stackName?: string;
  /**
   * Run the App's built-in CloudFormation validation (CDK_VALIDATION). It
   * doubles a synth of infra/aws/app.ts: 3.2 s against 1.4 s without (median
   * of 3, 2 shared cores; 16.8 s against 3.4 s under heavy load). Tests that
   * do not check it turn it off; cdk-nag and cfn-lint check the template.
   * Default true.
   */
  validate?: boolean;
  env?: NodeJS.ProcessEnv;
}

export interface SynthesizedStack {
  stackName: string;
  /** The template as CloudFormation receives it. */
  template: CfnTemplate;
  templateBody: string;
  region: string | undefined;
}

export interface CfnTemplate {
  Parameters?: Record<string, { Type: string; Default?: unknown }>;
  Resources?: Record<string, { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string }>;
  Outputs?: Record<string, unknown>;
  [key: string]: unknown;
}

interface AssemblyManifest {
  artifacts?: Record<
    string,
    {
      type: string;
      environment?: string;
      displayName?: string;
      properties?: { templateFile?: string; stackName?: string };
    }
  >;
  missing?: { key: string; provider: string; props?: Record<string, unknown> }[];
}

export async function synthAwsApp(options: SynthOptions): Promise<SynthesizedStack> {
  const outdir = mkdtempSync(join(tmpdir(), 'strato-cdk-'));
  try {
    await runApp(options, outdir);
    const manifest = JSON.parse(readFileSync(join(outdir, 'manifest.json'), 'utf8')) as AssemblyManifest;
    if (manifest.missing && manifest.missing.length > 0) throw missingContext(manifest.missing);
    const stacks = Object.entries(manifest.artifacts ?? {}).filter(
      ([, a]) => a.type === 'aws:cloudformation:stack',
    );
    const names = stacks.map(([id, a]) => a.properties?.stackName ?? id);
    const index =
      options.stackName === undefined ? (names.length === 1 ? 0 : -1) : names.indexOf(options.stackName);
    const found = stacks[index];
    if (!found) {
      throw new StratoError(
        'E_USAGE',
        `the CDK app ${options.app} has ${names.length === 0 ? 'no stack' : `stacks ${names.join(', ')}`}${options.stackName ? `, not ${options.stackName}` : ''}`,
        {
          hint:
            names.length > 1
              ? 'Name the stack to use (-c stackName=… for infra/aws/app.ts).'
              : 'Make the app define one Stack and call app.synth().',
        },
      );
    }
    const [, artifact] = found;
    const templateBody = readFileSync(join(outdir, artifact.properties?.templateFile ?? ''), 'utf8');
    const region = artifact.environment?.split('/')[3];
    return {
      stackName: names[index]!,
      template: JSON.parse(templateBody) as CfnTemplate,
      templateBody,
      region: region && region !== 'unknown-region' ? region : undefined,
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

function runApp(options: SynthOptions, outdir: string): Promise<void> {
  const env = {
    ...(options.env ?? process.env),
    CDK_OUTDIR: outdir,
    CDK_CONTEXT_JSON: JSON.stringify(options.context ?? {}),
    ...(options.validate === false ? { CDK_VALIDATION: 'false' } : {}),
  };
  return new Promise((done, fail) => {
    execFile(
      process.execPath,
      [resolve(options.app)],
      { env, maxBuffer: 16 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (!error) return done();
        const marked = stderr.split('\n').find((line) => line.startsWith(APP_ERROR_MARKER));
        if (marked) return fail(fromAppError(JSON.parse(marked.slice(APP_ERROR_MARKER.length))));
        fail(
          new StratoError(
            'E_INVALID_REQUEST',
            `the CDK app ${options.app} failed to synthesize: ${lastLines(stderr)}`,
            {
              hint: `Run it alone to see the whole error: CDK_OUTDIR=$(mktemp -d) node ${options.app}`,
              cause: error,
            },
          ),
        );
      },
    );
  });
}

function fromAppError(reported: {
  code: string;
  message: string;
  hint?: string;
  issues?: SpecIssue[];
  source?: string;
}): StratoError {
  if (reported.issues) return new SpecError(reported.issues, reported.source);
  return new StratoError(
    reported.code as StratoError['code'],
    reported.message,
    reported.hint ? { hint: reported.hint } : {},
  );
}

function missingContext(missing: NonNullable<AssemblyManifest['missing']>): SpecError {
  return new SpecError(
    missing.map((m) => ({
      path: `context.${m.key}`,
      message: `the app asked for a ${m.provider} lookup, which Strato does not do at synth`,
      fix:
        m.provider === 'availability-zones'
          ? 'Name the zones in the app (e.g. Vpc availabilityZones, or -c availabilityZone=us-east-1a for infra/aws/app.ts), or put the key in cdk.context.json.'
          : 'Put the value in cdk.context.json (or pass it with -c), so every synth gives the same template.',
    })),
    'CDK context',
  );
}

function lastLines(text: string, count = 6): string {
  return text.trim().split('\n').slice(-count).join('\n');
}
