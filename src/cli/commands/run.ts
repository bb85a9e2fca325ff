import { listenForInterrupts } from '../../internal/interrupt.ts';
import type { JobEvent } from '../../jobs/events.ts';
import type { Job } from '../../jobs/job.ts';
import { LaunchDeclined, submit } from '../../jobs/submit.ts';
import { formatValue } from '../../metrics/format.ts';
import { summarizeMetrics } from '../../metrics/summary.ts';
import type { MetricEvent } from '../../metrics/types.ts';
import { isTerminalState, type JobStatus } from '../../providers/types.ts';
import { type Command, requirePositionals } from '../command.ts';
import type { CliIo } from '../io.ts';
import { launchGate } from '../launch-gate.ts';
import {
  EpochLineBuilder,
  renderEnding,
  renderEpochCharts,
  renderMetricsSummary,
  runningTime,
} from '../render-job.ts';
import { CHIEF, EpochProgress, ProgressLine, progressText, readsEpochLinesOf } from '../run-progress.ts';

/** Live `batch_loss` lines at most this often, so a fast trainer does not flood the terminal. */
const BATCH_LINE_INTERVAL_MS = 2000;
/** How often the live display reads new metrics. */
const METRICS_POLL_MS = 500;

const clock = () => new Date().toTimeString().slice(0, 8);

function eventLine(event: JobEvent): string | undefined {
  switch (event.type) {
    case 'replica': {
      const r = event.replica;
      const detail =
        r.state === 'RUNNING' && r.pid
          ? ` (pid ${r.pid})`
          : r.signal
            ? ` (${r.signal})`
            : r.exitCode !== undefined
              ? ` (exit ${r.exitCode})`
              : '';
      return `${clock()}  ${r.name.padEnd(10)} ${r.state}${detail}`;
    }
    case 'state':
      return `${clock()}  job        ${event.state}${event.message ? `: ${event.message}` : ''}`;
    case 'restart':
      return `${clock()}  restart    attempt ${event.restart.attempt}: ${event.restart.reason}`;
    case 'ended':
      return undefined;
  }
}

/** One NDJSON line of `run --json`: what happened, and when. */
function emit(io: CliIo, record: Record<string, unknown>): void {
  io.out(JSON.stringify({ at: new Date().toISOString(), ...record }));
}

/** Prints metric lines as the trainer writes them (with --json: one `epoch` object per finished epoch). */
class MetricLines {
  private readonly epochs = new EpochLineBuilder();
  private lastBatchLine = 0;
  /** Where training is, for the progress line. */
  readonly progress = new EpochProgress();

  private readonly io: CliIo;
  private readonly json: boolean;
  private readonly print: (line: string) => void;

  constructor(io: CliIo, json: boolean, print: (line: string) => void) {
    this.io = io;
    this.json = json;
    this.print = print;
  }

  show(event: MetricEvent, live: boolean): void {
    this.progress.add(event);
    if (this.json) {
      const done = this.epochs.addValues(event);
      if (done) emit(this.io, { type: 'epoch', ...done });
      return;
    }
    const line = this.epochs.add(event);
    if (line) this.print(`${clock()}  ${line}`);
    if (live && event.tag === 'batch_loss' && Date.now() - this.lastBatchLine >= BATCH_LINE_INTERVAL_MS) {
      this.lastBatchLine = Date.now();
      this.print(`${clock()}  step ${event.step}  batch_loss ${formatValue(event.value)}`);
    }
  }
}

/**
 * The planned epoch count for the progress line, from the log of one replica whose epoch lines
 * the display trusts: the chief's, or worker-0's where there is no chief (`readsEpochLinesOf`).
 * Best effort: a provider whose logs cannot be read from here leaves the line without a total,
 * and says nothing.
 */
async function followEpochLines(job: Job, progress: EpochProgress, signal: AbortSignal): Promise<void> {
  let hasChief = job.record.status?.replicas.some((r) => r.name === CHIEF) ?? false;
  try {
    for await (const line of job.logs({ follow: true, signal })) {
      if (line.replica === CHIEF) hasChief = true;
      if (readsEpochLinesOf(line.replica, hasChief)) progress.addLogLine(line.text);
    }
  } catch {
    // No logs from here (e.g. Cloud Logging not reachable): the line shows `epoch N` and no ETA.
  }
}

async function followMetrics(job: Job, lines: MetricLines, signal: AbortSignal): Promise<void> {
  for await (const event of job.metrics({ follow: true, pollIntervalMs: METRICS_POLL_MS, signal })) {
    lines.show(event, true);
  }
}

/** The last line of `run --json`: how the job ended, and its latest metrics. */
function summaryRecord(job: Job, status: JobStatus, events: readonly MetricEvent[]): Record<string, unknown> {
  const end = status.endedAt ? Date.parse(status.endedAt) : Date.now();
  return {
    type: 'summary',
    id: job.id,
    state: status.state,
    attempt: status.attempt,
    restarts: status.restarts.length,
    ...(status.startedAt ? { seconds: (end - Date.parse(status.startedAt)) / 1000 } : {}),
    ...(status.error && status.state !== 'SUCCEEDED' ? { error: status.error } : {}),
    metrics: events.length > 0 ? summarizeMetrics(events) : null,
  };
}

function renderSummary(job: Job, status: JobStatus, events: readonly MetricEvent[]): string {
  const restarts = status.restarts.length;
  const ran = runningTime(status, new Date());
  const lines = [
    '',
    `${job.id} ${status.state}${ran ? ` in ${ran}` : ''} (attempt ${status.attempt}, ${restarts} restart${restarts === 1 ? '' : 's'})`,
  ];
  const ending = renderEnding(status);
  if (ending) lines.push(ending);
  if (events.length > 0) {
    lines.push(renderMetricsSummary(summarizeMetrics(events)));
    const charts = renderEpochCharts(events);
    if (charts) lines.push('', charts);
  }
  lines.push('', `more: strato status ${job.id} · strato logs ${job.id} · strato metrics ${job.id} --plot`);
  return lines.join('\n');
}

export const runCommand: Command = {
  name: 'run',
  summary: 'Submit a job and follow it to the end: replica states, live metrics, a summary.',
  usage: 'FILE [--detach] [--docker] [--resume JOB] [--yes] [--json]',
  description: `
Before launching, the cost is shown on stderr (region or zone, spot or on-demand, machines × list
price per hour, the total, scheduling.maxCostUsd); local jobs cost nothing and show none. Billable
machines (any provider but local, unless its endpoint is a fake cloud on this machine) are launched
only after "y" on a terminal, or with --yes; with no terminal and no --yes the launch is refused
(exit 2). Answering no launches nothing (exit 1).

On a terminal, a progress line stays at the bottom, fitted to its width: the job's state, the epoch
(counted from 1, from the metrics followed; "epoch 3/6" while its batches run, "epoch 2/6 done"
between epochs), the step, the elapsed time and an ETA from the time per epoch measured so far:
  quickstart-4sa1tr RUNNING · epoch 3/6 · step 140 · elapsed 12.3 s · ETA 18.5 s
The planned total comes from the chief's (or worker-0's) log: a line starting "Epoch 3/6", as
Keras's model.fit prints, or "epoch 3/6"; without one the line says "epoch 3" and shows no ETA.
The ETA shows once an epoch has ended. On a narrow terminal the job id goes first, then the step,
then the ETA.

Exit code: 0 when the job SUCCEEDED, 1 when it FAILED or was CANCELLED (or was not launched).
With --json, standard output is NDJSON, one object per line, each with "at" and "type":
submitted {id, runDir, detached}; state {state, previous, message}; replica {replica};
restart {restart}; epoch {epoch (from 1), values}; summary {id, state, attempt, restarts,
seconds, error, metrics} last.
Ctrl-C cancels the job cleanly (every replica stopped). If this process dies any other way,
even by SIGKILL, the job is cancelled too. With --detach the job does not depend on this
process: Ctrl-C only stops following, and \`strato status ID\` picks it up later.
Providers: local (processes here), vertex (a CustomJob), gce (a VM per replica per attempt,
zones tried in order on a stockout), tpu-vm (a queued resource per attempt); gce and tpu-vm
machines are deleted when the job ends or is cancelled.`,
  options: {
    detach: {
      type: 'boolean',
      short: 'd',
      description: 'Let the job outlive this command (Ctrl-C stops following, not the job).',
    },
    resume: {
      type: 'string',
      valueName: 'JOB',
      description:
        "Continue JOB in its run dir, from its checkpoints (else a run dir with another job's work is refused).",
    },
    docker: {
      type: 'boolean',
      description: 'Local provider: run replicas with `docker run` from container.image.',
    },
    yes: {
      type: 'boolean',
      short: 'y',
      description: 'Launch billable machines without asking (required when there is no terminal to ask on).',
    },
    json: { type: 'boolean', description: 'Print NDJSON events (see above) instead of the live display.' },
  },
  async run(args, io) {
    const [file] = requirePositionals(this, args, 1, 'the spec file to run');
    const detach = Boolean(args.values.detach);
    const json = Boolean(args.values.json);
    let job: Job;
    try {
      job = await submit(file!, {
        env: io.env,
        stopWhenCallerExits: !detach,
        ...(args.values.docker ? { docker: true } : {}),
        ...(typeof args.values.resume === 'string' ? { resume: args.values.resume } : {}),
        onProgress: (message) => io.err(message),
        confirm: launchGate(io, { yes: Boolean(args.values.yes), command: 'run' }),
      });
    } catch (error) {
      if (!(error instanceof LaunchDeclined)) throw error;
      io.err(error.message);
      return 1;
    }
    if (json) emit(io, { type: 'submitted', id: job.id, runDir: job.runDir, detached: detach });
    else {
      io.out(
        `${clock()}  submitted  ${job.id} (${detach ? 'detached: Ctrl-C stops following' : 'Ctrl-C cancels it'})`,
      );
      io.out(`${clock()}  run dir    ${job.runDir}`);
    }

    const stopFollowing = new AbortController();
    const interrupts = listenForInterrupts((count, signal) => {
      if (detach || count > 1) {
        io.err(`stopped following; ${job.id} goes on: strato status ${job.id}`);
        stopFollowing.abort();
        return;
      }
      io.err(`cancelling ${job.id} (Ctrl-C again to stop waiting)…`);
      void job.cancel(`${signal === 'SIGINT' ? 'Ctrl-C' : signal} in strato run`).catch(() => {});
    });

    // On a terminal, a progress line stays at the bottom, the other lines printed above it.
    const launchedAt = Date.now();
    let state = 'QUEUED';
    const progressLine =
      !json && io.isTTY
        ? new ProgressLine(io, (columns) =>
            progressText(job.id, state, metricLines.progress, Date.now() - launchedAt, columns),
          )
        : undefined;
    const print = (line: string) => (progressLine ? progressLine.print(line) : io.out(line));
    const metricsStop = new AbortController();
    const metricLines = new MetricLines(io, json, print);
    progressLine?.start();
    const metricsShown = followMetrics(job, metricLines, metricsStop.signal).catch((error: unknown) => {
      io.err(`metrics: ${(error as Error).message}`);
    });
    let final: JobStatus | undefined;
    // The job's last state, printed after the last epochs' lines, which the final read of the metrics may still add.
    let endedLine: string | undefined;
    let followingLogs = false;
    try {
      for await (const event of job.events({ signal: stopFollowing.signal })) {
        if (event.type === 'ended') final = event.status;
        if (json) {
          if (event.type !== 'ended') emit(io, event);
          continue;
        }
        if (event.type === 'state') state = event.state;
        if (progressLine && event.type === 'state' && event.state === 'RUNNING' && !followingLogs) {
          // The replicas exist from here: their logs can be followed for the planned epoch count.
          // Not awaited: it never rejects, and stops at its next poll once metricsStop aborts.
          followingLogs = true;
          metricLines.progress.running();
          void followEpochLines(job, metricLines.progress, metricsStop.signal);
        }
        const line = eventLine(event);
        if (event.type === 'state' && isTerminalState(event.state)) endedLine = line;
        else if (line) print(line);
      }
    } finally {
      interrupts.release();
      metricsStop.abort();
      await metricsShown;
      // What follows takes the progress line's place.
      progressLine?.stop();
    }
    if (!final) {
      if (endedLine) print(endedLine);
      return 0;
    }
    // Everything, for the summary; epochs the live view had not shown yet are printed first.
    const all: MetricEvent[] = [];
    try {
      for await (const event of job.metrics()) {
        all.push(event);
        metricLines.show(event, false);
      }
    } catch {
      // No metrics written (e.g. the job failed before its first epoch): the summary says so.
    }
    if (json) emit(io, summaryRecord(job, final, all));
    else {
      if (endedLine) print(endedLine);
      print(renderSummary(job, final, all));
    }
    return final.state === 'SUCCEEDED' ? 0 : 1;
  },
};
