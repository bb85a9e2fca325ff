/**
 * Plain-text views of jobs for the CLI: the status block, replica table,
 * failure details, metric lines and the final summary of `strato run`.
 */

import type { JobRecord } from '../jobs/store.ts';
import { renderTerminalChart } from '../metrics/charts/terminal.ts';
import { formatValue } from '../metrics/format.ts';
import { groupSeries } from '../metrics/series.ts';
import type { MetricsSummary } from '../metrics/summary.ts';
import type { MetricEvent } from '../metrics/types.ts';
import type { JobError, JobStatus, ReplicaStatus } from '../providers/types.ts';
import { stepLabel, table } from './format.ts';

/**
 * The one duration format of run, status and list: `12.3 s`, `4 min 05 s`,
 * `2 h 07 min`. Rounded once, on the whole, so 299.6 s is `5 min 00 s`,
 * never `4 min 60 s`.
 */
export function formatDuration(ms: number): string {
  if (ms < 59_950) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(seconds % 60).padStart(2, '0')} s`;
  const wholeMinutes = Math.round(ms / 60_000);
  return `${Math.floor(wholeMinutes / 60)} h ${String(wholeMinutes % 60).padStart(2, '0')} min`;
}

/** How long the job ran (or has been running, at `now`). */
export function runningTime(status: Pick<JobStatus, 'startedAt' | 'endedAt'>, now: Date): string | undefined {
  if (!status.startedAt) return undefined;
  const end = status.endedAt ? Date.parse(status.endedAt) : now.getTime();
  return formatDuration(Math.max(0, end - Date.parse(status.startedAt)));
}

export function replicaExit(replica: ReplicaStatus): string {
  if (replica.signal) return replica.signal;
  return replica.exitCode === undefined ? '' : String(replica.exitCode);
}

export function renderReplicaTable(replicas: readonly ReplicaStatus[]): string {
  return table([
    ['REPLICA', 'STATE', 'PID', 'EXIT'],
    ...replicas.map((r) => [r.name, r.state, r.pid === undefined ? '' : String(r.pid), replicaExit(r)]),
  ]);
}

export function renderJobError(error: JobError): string {
  const lines = [`error: ${error.message}`];
  if (error.lastLines && error.lastLines.length > 0) {
    lines.push(`last lines of ${error.replica ?? 'the replica'}:`);
    for (const line of error.lastLines) lines.push(`  | ${line}`);
  }
  return lines.join('\n');
}

/**
 * Why a job ended, when it did not succeed: a failure is an `error:` with
 * the replica's last lines; a cancel someone asked for (Ctrl-C in run,
 * `strato cancel`) is said as what it is, never as an error.
 */
export function renderEnding(status: Pick<JobStatus, 'state' | 'error'>): string | undefined {
  if (status.state === 'SUCCEEDED' || !status.error) return undefined;
  if (status.state === 'CANCELLED') return status.error.message;
  return renderJobError(status.error);
}

export function renderMetricsSummary(summary: MetricsSummary): string {
  if (summary.latest.length === 0) return 'metrics: none yet';
  const pace = summary.stepsPerSec === undefined ? '' : ` · ${formatValue(summary.stepsPerSec)} steps/s`;
  return [
    `metrics: last step ${summary.lastStep ?? '-'}${pace}`,
    table([
      ['RUN', 'TAG', 'STEP', 'VALUE'],
      ...summary.latest.map((v) => [v.run || '.', v.tag, stepLabel(v.tag, v.step), formatValue(v.value)]),
    ])
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n'),
  ].join('\n');
}

export function renderStatus(record: JobRecord, status: JobStatus, now: Date): string {
  const ran = runningTime(status, now);
  // A job still QUEUED may have a start time already (a TPU slice's node is up while host 0 pulls the
  // image): it has waited that long, not run.
  const since = status.state === 'QUEUED' ? 'waiting' : 'ran';
  const lines = [
    `Job ${record.id}: ${status.state}`,
    `  ${record.strategy} on ${record.provider}, ${record.replicaCount} replica(s), attempt ${status.attempt}` +
      `${ran ? `, ${since} ${ran}` : ''}`,
    `  created ${record.createdAt}`,
    `  run dir ${record.runDir}`,
  ];
  if (status.message) lines.push(`  ${status.message}`);
  lines.push('', renderReplicaTable(status.replicas));
  if (status.restarts.length > 0) {
    lines.push('', `restarts (${status.restarts.length}):`);
    for (const restart of status.restarts)
      lines.push(`  attempt ${restart.attempt} at ${restart.at}: ${restart.reason}`);
  }
  const ending = renderEnding(status);
  if (ending) lines.push('', ending);
  return lines.join('\n');
}

/**
 * Keras-layout epoch lines: once the train and validation values of an
 * epoch are in, `epoch 3  loss 0.54 accuracy 0.80  val_loss … val_accuracy …`.
 */
export class EpochLineBuilder {
  private readonly epochs = new Map<number, Map<string, number>>();
  private readonly printed = new Set<number>();

  /** Adds an event; returns the finished line for its epoch when this completes it. */
  add(event: MetricEvent): string | undefined {
    const done = this.addValues(event);
    if (!done) return undefined;
    return `epoch ${done.epoch}  ${Object.entries(done.values)
      .map(([k, v]) => `${k} ${formatValue(v)}`)
      .join('  ')}`;
  }

  /** As `add`, as data: the epoch counted from 1 and its values, when this event completes it. */
  addValues(event: MetricEvent): { epoch: number; values: Record<string, number> } | undefined {
    if (!event.tag.startsWith('epoch_')) return undefined;
    const key = `${event.run === 'validation' ? 'val_' : ''}${event.tag.slice('epoch_'.length)}`;
    let values = this.epochs.get(event.step);
    if (!values) {
      values = new Map();
      this.epochs.set(event.step, values);
    }
    values.set(key, event.value);
    if (
      this.printed.has(event.step) ||
      !['loss', 'accuracy', 'val_loss', 'val_accuracy'].every((k) => values.has(k))
    )
      return undefined;
    this.printed.add(event.step);
    // Counted as stepLabel counts epochs: Keras's "Epoch 1/N" is step 0.
    return { epoch: event.step + 1, values: Object.fromEntries(values) };
  }
}

/** Terminal charts of the epoch loss and accuracy (train and validation on the same axes). */
export function renderEpochCharts(events: readonly MetricEvent[]): string {
  const charts = groupSeries(events)
    .filter((series) => series.tag === 'epoch_loss' || series.tag === 'epoch_accuracy')
    .map((series) => renderTerminalChart(series, { width: 50, height: 8 }));
  return charts.join('\n\n');
}
