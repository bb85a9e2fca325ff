import { StratoError } from '../../errors.ts';
import { CHECK_TARGETS, type CheckResult, type CheckTarget, checkSetup } from '../../jobs/check.ts';
import type { Command } from '../command.ts';
import { verboseVersion } from '../version.ts';

function targetsOf(positionals: readonly string[]): CheckTarget[] | undefined {
  if (positionals.length === 0) return undefined;
  // What users type for the stores: gs, gs://, gcs; s3, s3://.
  const aliases: Record<string, CheckTarget> = { 'gs://': 'gs', gcs: 'gs', 's3://': 's3' };
  return positionals.map((name) => {
    const target = aliases[name] ?? name;
    if (!(CHECK_TARGETS as readonly string[]).includes(target)) {
      throw new StratoError('E_USAGE', `unknown check target "${name}"`, {
        hint: `choose from ${CHECK_TARGETS.join(', ')} (gs:// and s3:// work too), or none for all`,
      });
    }
    return target as CheckTarget;
  });
}

function renderResult(result: CheckResult): string {
  const title = result.target === 'gs' || result.target === 's3' ? `${result.target}://` : result.target;
  const lines = [`${title.padEnd(8)}${result.usable ? 'usable' : 'NOT USABLE'}`];
  for (const item of result.items) {
    const mark = item.ok ? 'ok ' : item.required === false ? '-  ' : 'NO ';
    lines.push(`  ${mark}${item.name.padEnd(12)} ${item.detail}`);
    if (!item.ok && item.fix) lines.push(`     ${''.padEnd(12)} fix: ${item.fix}`);
  }
  return lines.join('\n');
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'Check what each provider and store needs: endpoint, credentials, project, region, API.',
  usage: '[TARGET...] [--json] [--project ID] [--region REGION]',
  description: `
TARGET is local, vertex, gs or s3 (default: all). For each, the stock client does what a job would
do (Application Default Credentials, one ListCustomJobs, one buckets.list, one S3 ListBuckets)
against the endpoint a job would use: with the environment \`strato fake-cloud\` prints, vertex and
gs:// are checked against the fakes and need no credentials. Whatever is missing is printed with
the command that fixes it. A malformed endpoint variable (STRATO_VERTEX_ENDPOINT,
STORAGE_EMULATOR_HOST, AWS_ENDPOINT_URL_S3) is a usage error naming it (exit 2).
Exit code: 0 when the report is printed; with TARGETs named, 1 when one of them is not usable
(so \`strato check vertex && strato run job.yaml\` works in scripts).`,
  options: {
    json: {
      type: 'boolean',
      description: 'Print {strato, node, targets: [{target, usable, items: [{name, ok, detail, fix}]}]}.',
    },
    project: {
      type: 'string',
      valueName: 'ID',
      description: 'Google Cloud project (default: GOOGLE_CLOUD_PROJECT, else gcloud config).',
    },
    region: { type: 'string', valueName: 'REGION', description: 'Vertex AI region (default us-central1).' },
  },
  async run(args, io) {
    const targets = targetsOf(args.positionals);
    const results = await checkSetup({
      env: io.env,
      ...(targets ? { targets } : {}),
      ...(typeof args.values.project === 'string' ? { project: args.values.project } : {}),
      ...(typeof args.values.region === 'string' ? { region: args.values.region } : {}),
    });
    if (args.values.json) {
      const [strato, node] = verboseVersion().split('\n');
      io.out(JSON.stringify({ strato, node, targets: results }, null, 2));
    } else {
      io.out(`${verboseVersion().split('\n').join(' · ')}\n`);
      io.out(results.map(renderResult).join('\n\n'));
    }
    return targets && results.some((r) => !r.usable) ? 1 : 0;
  },
};
