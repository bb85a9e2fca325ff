import { StratoError } from '../../errors.ts';
import { parseEndpoint } from '../../internal/endpoint.ts';
import { listenForInterrupts } from '../../internal/interrupt.ts';
import { parseObjectUri } from '../../internal/uri.ts';
import { DEFAULT_RESUMABLE_THRESHOLD_BYTES } from '../../storage/gcs/store.ts';
import type { StoreOptions } from '../../storage/open.ts';
import type { DeleteAction, UploadAction } from '../../storage/sync/plan.ts';
import { uploadDataset } from '../../storage/sync/upload-dataset.ts';
import type { Command } from '../command.ts';
import { createProgressReporter, formatBytes, formatSummary } from '../progress-report.ts';

function positiveInt(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new StratoError('E_USAGE', `--${flag} ${value} is not a positive integer`);
  return n;
}

/** `16Mi`, `256Ki`, or plain bytes. */
function parseSize(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d+)(Ki|Mi|Gi)?$/.exec(value);
  if (!match)
    throw new StratoError('E_USAGE', `--chunk-size ${value} is not a size`, {
      hint: 'write e.g. 16Mi, 256Ki or 1048576',
    });
  const unit = match[2] === 'Gi' ? 1024 ** 3 : match[2] === 'Mi' ? 1024 ** 2 : match[2] === 'Ki' ? 1024 : 1;
  return Number(match[1]) * unit;
}

/** `--endpoint` applies to the destination's scheme (a fake or an S3-compatible server). */
function storeOptionsFor(
  dst: string,
  endpointFlag: string | undefined,
  chunkSize: number | undefined,
  baseDir: string,
  env: NodeJS.ProcessEnv,
): StoreOptions {
  const { scheme } = parseObjectUri(dst, baseDir);
  if (endpointFlag && scheme === 'file')
    throw new StratoError('E_USAGE', '--endpoint is for gs:// and s3:// destinations');
  const endpoint = endpointFlag === undefined ? undefined : parseEndpoint(endpointFlag, '--endpoint').url;
  // Files larger than one chunk (or 8 MiB) go up in chunks.
  const chunks = chunkSize
    ? {
        chunkSizeBytes: chunkSize,
        resumableThresholdBytes: Math.min(chunkSize, DEFAULT_RESUMABLE_THRESHOLD_BYTES),
      }
    : {};
  return {
    baseDir,
    gcs: { ...(endpoint && scheme === 'gs' ? { apiEndpoint: endpoint } : {}), ...chunks },
    s3: {
      env,
      ...(endpoint && scheme === 's3' ? { endpoint } : {}),
      ...(chunkSize ? { partSizeBytes: chunkSize } : {}),
    },
  };
}

/** What `push -n` would do, file by file. */
interface DryRunList {
  uploads: { file: string; uri: string; bytes: number }[];
  deletes: string[];
}

function dryRunList(
  plan: { uploads: readonly UploadAction[]; deletes: readonly DeleteAction[] },
  dst: string,
  baseDir: string,
): DryRunList {
  const parsed = parseObjectUri(dst, baseDir);
  const uriOf = (key: string) =>
    parsed.scheme === 'file' ? `file:///${key}` : `${parsed.scheme}://${parsed.bucket}/${key}`;
  return {
    uploads: plan.uploads.map((u) => ({ file: u.file.rel, uri: uriOf(u.key), bytes: u.file.size })),
    deletes: plan.deletes.map((d) => uriOf(d.key)),
  };
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'Push a dataset to a bucket: only what changed, in parallel, checksummed, resumable.',
  usage: 'push SRC DST [--delete] [--dry-run] [--include GLOB]... [--exclude GLOB]... [--json]',
  description: `
SRC is a local folder (its contents go under DST) or file (it becomes DST, or goes under DST/).
DST is gs://BUCKET/PREFIX, s3://BUCKET/PREFIX or file:///PATH. Unchanged files (same size and
recorded modification time, else same CRC32C) are skipped; every uploaded object's CRC32C is
checked. Large files go up in resumable chunks: a push that was interrupted picks up where it
stopped when run again. Globs: "*.tfrecord", "train/**", "**/*.tmp" (no "/": file name at any depth).
Set STORAGE_EMULATOR_HOST or --endpoint to push to a fake (strato fake-cloud).`,
  options: {
    delete: { type: 'boolean', description: 'Delete objects under DST that SRC does not have (mirror).' },
    'allow-empty-source': {
      type: 'boolean',
      description: 'With --delete, let a source with no files empty DST (refused without it).',
    },
    'dry-run': {
      type: 'boolean',
      short: 'n',
      description: 'List each file that would be uploaded and each object deleted; write nothing.',
    },
    include: {
      type: 'string',
      multiple: true,
      valueName: 'GLOB',
      description: 'Only files matching GLOB (repeatable).',
    },
    exclude: {
      type: 'string',
      multiple: true,
      valueName: 'GLOB',
      description: 'Leave out files matching GLOB (repeatable).',
    },
    concurrency: {
      type: 'string',
      short: 'j',
      valueName: 'N',
      description: 'Uploads in flight (default 32).',
    },
    'chunk-size': {
      type: 'string',
      valueName: 'SIZE',
      description:
        'Bytes per resumable chunk, a multiple of 256Ki (default 16Mi); larger files go up in chunks.',
    },
    endpoint: {
      type: 'string',
      valueName: 'URL',
      description: 'Storage endpoint for DST, e.g. a fake at http://127.0.0.1:PORT.',
    },
    json: {
      type: 'boolean',
      description:
        'Print the summary as JSON: {files, bytes, uploaded, uploadedBytes, skipped, deleted, seconds, dryRun}; with -n also wouldUpload [{file, uri, bytes}] and wouldDelete [uri].',
    },
    quiet: { type: 'boolean', short: 'q', description: 'No progress output.' },
  },
  async run(args, io) {
    const [verb, src, dst, ...extra] = args.positionals;
    if (verb !== 'push') {
      throw new StratoError('E_USAGE', verb ? `unknown data verb "${verb}"` : 'missing the verb', {
        hint: `usage: strato data ${this.usage}`,
      });
    }
    if (!src || !dst || extra.length > 0) {
      throw new StratoError(
        'E_USAGE',
        !src || !dst ? 'push needs SRC and DST' : `unexpected argument "${extra[0]}"`,
        {
          hint: `usage: strato data ${this.usage}`,
        },
      );
    }
    const reporter =
      args.values.quiet || args.values['dry-run']
        ? undefined
        : createProgressReporter({ isTTY: io.isTTY, write: (line) => io.err(line) });
    let last: Parameters<NonNullable<typeof reporter>['finish']>[0] | undefined;
    // Ctrl-C (or SIGTERM) stops starting uploads, lets those in flight end, and says so; a second one kills.
    const interrupts = listenForInterrupts((count, signal) => {
      if (count > 1) {
        interrupts.release();
        process.kill(process.pid, signal);
        return;
      }
      io.err(
        `interrupted: stopping after the uploads in flight (${last?.uploaded ?? 0} of ${last?.filesToUpload ?? '?'} files done); run the same command again to finish`,
      );
    });
    const dryRun = Boolean(args.values['dry-run']);
    let planned: DryRunList | undefined;
    const summary = await uploadDataset(src, dst, {
      signal: interrupts.signal,
      ...storeOptionsFor(
        dst,
        args.values.endpoint as string | undefined,
        parseSize(args.values['chunk-size'] as string | undefined),
        io.cwd,
        io.env,
      ),
      env: io.env,
      delete: Boolean(args.values.delete),
      allowEmptySource: Boolean(args.values['allow-empty-source']),
      dryRun: Boolean(args.values['dry-run']),
      include: (args.values.include as string[] | undefined) ?? [],
      exclude: (args.values.exclude as string[] | undefined) ?? [],
      ...(args.values.concurrency
        ? { concurrency: positiveInt(args.values.concurrency as string, 'concurrency')! }
        : {}),
      onProgress: (progress) => {
        last = progress;
        reporter?.update(progress);
      },
      ...(dryRun ? { onPlan: (plan) => (planned = dryRunList(plan, dst, io.cwd)) } : {}),
    }).finally(() => interrupts.release());
    if (reporter && last) reporter.finish(last);
    if (args.values.json) {
      io.out(
        JSON.stringify(
          planned ? { ...summary, wouldUpload: planned.uploads, wouldDelete: planned.deletes } : summary,
        ),
      );
      return 0;
    }
    if (planned) {
      for (const u of planned.uploads) io.out(`would upload  ${u.file} → ${u.uri} (${formatBytes(u.bytes)})`);
      for (const uri of planned.deletes) io.out(`would delete  ${uri}`);
    }
    io.out(formatSummary(summary, dst));
    return 0;
  },
};
