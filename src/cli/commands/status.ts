import { StratoError } from '../../errors.ts';
import { getJob } from '../../jobs/submit.ts';
import { followRunMetrics } from '../../metrics/stream.ts';
import { MetricsSummarizer, type MetricsSummary } from '../../metrics/summary.ts';
import { type Command, requirePositionals } from '../command.ts';
import { renderMetricsSummary, renderStatus } from '../render-job.ts';

/** The run's metrics so far; undefined when it has written none (or its store cannot be read). */
export async function readMetricsSummary(runDir: string): Promise<MetricsSummary | undefined> {
  // Summarized as it streams: memory per series, not per event, however long the run.
  const summarizer = new MetricsSummarizer();
  let seen = 0;
  try {
    for await (const event of followRunMetrics(runDir)) {
      summarizer.add(event);
      seen++;
    }
  } catch (error) {
    if (error instanceof StratoError) return undefined;
    throw error;
  }
  return seen > 0 ? summarizer.summary() : undefined;
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show a job: state, replicas, restarts, error and latest metrics.',
  usage: 'ID [--json]',
  description: `
Works from any process, for any job in $STRATO_HOME/jobs (strato list shows them).
A job whose supervisor died is shown as FAILED with what happened, never as RUNNING forever.`,
  options: {
    json: { type: 'boolean', description: 'Print {record, status, metrics} as JSON.' },
  },
  async run(args, io) {
    const [id] = requirePositionals(this, args, 1, 'the job id (see strato list)');
    const job = await getJob(id!, { env: io.env });
    const status = await job.status();
    const metrics = await readMetricsSummary(job.runDir);
    if (args.values.json) {
      io.out(JSON.stringify({ record: job.record, status, metrics: metrics ?? null }, null, 2));
      return 0;
    }
    io.out(renderStatus(job.record, status, new Date()));
    if (metrics) io.out(`\n${renderMetricsSummary(metrics)}`);
    return 0;
  },
};
