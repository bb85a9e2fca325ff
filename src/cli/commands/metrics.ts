import { stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { StratoError } from '../../errors.ts';
import { listenForInterrupts } from '../../internal/interrupt.ts';
import { sleep } from '../../internal/sleep.ts';
import { isUri } from '../../internal/uri.ts';
import { findJobRunDir } from '../../jobs/job-run-dir.ts';
import { renderHtmlReport } from '../../metrics/charts/html.ts';
import { renderTerminalChart } from '../../metrics/charts/terminal.ts';
import { CSV_HEADER, formatValue, metricCsv, metricJson } from '../../metrics/format.ts';
import { SeriesCollector } from '../../metrics/series.ts';
import { DEFAULT_POLL_INTERVAL_MS, followRunMetricBatches } from '../../metrics/stream.ts';
import { MetricsSummarizer, type MetricsSummary } from '../../metrics/summary.ts';
import type { MetricEvent, MetricsWarning } from '../../metrics/types.ts';
import { type Command, type ParsedArgs, requirePositionals } from '../command.ts';
import { stepLabel, table } from '../format.ts';
import type { CliIo } from '../io.ts';

export interface MetricsCommandDeps {
  /** Maps a job id to its run dir; default: the job store under $STRATO_HOME. */
  resolveJob?: (jobId: string, io: CliIo) => Promise<string | undefined>;
  /** Ends `--follow` (default: SIGINT or SIGTERM). */
  signal?: AbortSignal;
  /** Between polls with `--follow`; default 2 s. */
  pollIntervalMs?: number;
  /** The time printed in HTML reports (default: now). */
  now?: () => Date;
  /** Resolves when the job has ended (`--follow` of a job id ends then); default: the job store's `wait`. */
  jobEnded?: (jobId: string, io: CliIo, signal: AbortSignal) => Promise<void>;
}

/** Waits for a job's end through the job lifecycle (any provider); quiet when stopped first. */
async function waitForJobEnd(jobId: string, io: CliIo, signal: AbortSignal): Promise<void> {
  const { getJob } = await import('../../jobs/submit.ts');
  const job = await getJob(jobId, { env: io.env });
  await job.wait({ signal });
}

type OutputMode = 'table' | 'json' | 'csv' | 'plot' | 'html';

async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** TARGET as a URI or path to read, trying: a URI, an existing path, a job id. */
async function resolveTarget(target: string, io: CliIo, resolveJob: MetricsCommandDeps['resolveJob']) {
  if (isUri(target)) return { location: target, title: target, jobId: undefined };
  if (await pathExists(resolve(io.cwd, target))) return { location: target, title: target, jobId: undefined };
  const runDir = resolveJob ? await resolveJob(target, io) : findJobRunDir(target, io.env);
  if (runDir !== undefined) return { location: runDir, title: `job ${target} (${runDir})`, jobId: target };
  throw new StratoError('E_NOT_FOUND', `"${target}" is neither a file, a folder, a URI nor a job id`, {
    hint: 'give a run dir (path, file:// or gs:// URI), an event file, or the id of a submitted job',
  });
}

function outputMode(args: ParsedArgs): OutputMode {
  const chosen = (['json', 'csv', 'plot', 'html'] as const).filter((mode) => args.values[mode] !== undefined);
  if (chosen.length > 1) {
    throw new StratoError('E_USAGE', `--${chosen.join(' and --')} cannot be combined`, {
      hint: 'choose one output: the table (default), --json, --csv, --plot or --html FILE',
    });
  }
  const mode = chosen[0] ?? 'table';
  if (args.values.follow && (mode === 'plot' || mode === 'html')) {
    throw new StratoError('E_USAGE', `--follow streams values; --${mode} draws what is there now`, {
      hint: `drop --follow, or follow with the table, --json or --csv`,
    });
  }
  return mode;
}

function printWarning(io: CliIo) {
  return (warning: MetricsWarning) => io.err(`warning: ${warning.message}`);
}

function renderTable(summary: MetricsSummary): string {
  const rows = summary.latest.map(({ run, tag, step, value, points }) => [
    run || '.',
    tag,
    stepLabel(tag, step),
    formatValue(value),
    String(points),
  ]);
  const pace = summary.stepsPerSec === undefined ? '' : `, ${formatValue(summary.stepsPerSec)} steps/s`;
  return `${table([['RUN', 'TAG', 'STEP', 'VALUE', 'POINTS'], ...rows])}\n\nlast step ${summary.lastStep}${pace}`;
}

/** One line per value while following: aligned enough to read, stable enough to grep. */
function followLine(event: MetricEvent): string {
  const step = event.tag.startsWith('epoch_') ? stepLabel(event.tag, event.step) : `step ${event.step}`;
  return `${(event.run || '.').padEnd(10)}  ${event.tag.padEnd(24)}  ${step.padEnd(13)}  ${formatValue(event.value)}`;
}

export function createMetricsCommand(deps: MetricsCommandDeps = {}): Command {
  return {
    name: 'metrics',
    summary:
      'Show the training metrics (TensorBoard scalars) of a job or run dir: table, stream, plot or HTML.',
    usage: 'TARGET [--follow] [--json | --csv | --plot | --html FILE]',
    description: `
TARGET is a job id, a run dir (a path, file:// or gs:// URI; its logs/ folder is read),
any folder of TensorBoard event files, or one event file. Runs are the sub-folders of
logs/ (train, validation, …). By default prints the latest value of every series.
Problems in event files (corrupt or truncated records) are reported on stderr and
never stop the reading.`,
    options: {
      follow: {
        type: 'boolean',
        short: 'f',
        description:
          'Keep printing new values as the trainer writes them; ends when the job ends (TARGET a job id), or with Ctrl-C.',
      },
      json: {
        type: 'boolean',
        description: 'One JSON object per value (NDJSON): run, tag, step, value, wallTime, file.',
      },
      csv: { type: 'boolean', description: 'CSV with a header: run,tag,step,value,wall_time,file.' },
      plot: { type: 'boolean', description: 'A text chart per tag, every run on the same axes.' },
      html: {
        type: 'string',
        valueName: 'FILE',
        description: 'Write a self-contained HTML page with one chart per tag (works offline).',
      },
    },
    async run(args, io) {
      const [target] = requirePositionals(this, args, 1, 'the job id, run dir or event file');
      const mode = outputMode(args);
      const follow = Boolean(args.values.follow);
      const { location, title, jobId } = await resolveTarget(target!, io, deps.resolveJob);
      const signals = follow && !deps.signal ? listenForInterrupts() : undefined;
      const stop = new AbortController();
      const outer = deps.signal ?? signals?.signal;
      outer?.addEventListener('abort', () => stop.abort(), { once: true });
      const pollIntervalMs = deps.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS;
      // Following a job (not a folder): end as `logs --follow` does, once the job has ended and
      // two more reads have taken what its replicas wrote last.
      if (follow && jobId !== undefined) {
        void (deps.jobEnded ?? waitForJobEnd)(jobId, io, stop.signal)
          .then(() => (stop.signal.aborted ? undefined : sleep(2 * pollIntervalMs + 200, stop.signal)))
          .then(
            () => stop.abort(),
            () => {},
          );
      }
      const batches = followRunMetricBatches(location, {
        follow,
        onWarning: printWarning(io),
        storeOptions: { baseDir: io.cwd, gcs: { env: io.env }, s3: { env: io.env } },
        signal: stop.signal,
        pollIntervalMs,
      });
      try {
        if (follow || mode === 'json' || mode === 'csv') {
          if (mode === 'csv') io.out(CSV_HEADER);
          const line = mode === 'json' ? metricJson : mode === 'csv' ? metricCsv : followLine;
          // A write per batch, not per value, and no faster than stdout takes it.
          for await (const batch of batches) {
            if (batch.length === 0) continue;
            io.out(batch.map(line).join('\n'));
            await io.drain();
          }
          return 0;
        }
        // Folded as they stream in: memory grows with series and steps, not with events.
        const summarizer = new MetricsSummarizer();
        const collector = mode === 'table' ? undefined : new SeriesCollector();
        let values = 0;
        for await (const batch of batches) {
          values += batch.length;
          for (const event of batch) {
            summarizer.add(event);
            collector?.add(event);
          }
        }
        if (values === 0) {
          io.err(`no scalars under ${title} yet (no TensorBoard event files, or none with scalar summaries)`);
          return 0;
        }
        if (mode === 'table') {
          io.out(renderTable(summarizer.summary()));
        } else if (mode === 'plot') {
          io.out(
            collector!
              .series()
              .map((series) => renderTerminalChart(series))
              .join('\n\n'),
          );
        } else {
          const file = resolve(io.cwd, String(args.values.html));
          const series = collector!.series();
          const html = renderHtmlReport(series, { title, generatedAt: deps.now?.() ?? new Date() });
          try {
            await writeFile(file, html);
          } catch (error) {
            throw new StratoError('E_IO', `cannot write ${file}: ${(error as Error).message}`, {
              cause: error,
              hint: 'check that the folder exists and is writable',
            });
          }
          io.out(`wrote ${file}: ${series.length} chart${series.length === 1 ? '' : 's'}, ${values} values`);
        }
        return 0;
      } finally {
        stop.abort();
        signals?.release();
      }
    },
  };
}

export const metricsCommand = createMetricsCommand();
