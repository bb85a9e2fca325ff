/**
 * The progress line of `strato run` on a terminal: one line kept at the
 * bottom, redrawn in place every second and cut to the terminal's width —
 * `quickstart-4sa1tr RUNNING · epoch 3/6 · step 140 · elapsed 12.3 s · ETA 18.5 s` —
 * with the log lines (replica states, epoch results) printed above it.
 *
 * Completed epochs come from the metrics the run follows, counted from 1 as
 * in every human view. The planned number of epochs is not in the event
 * files (Keras's TensorBoard callback and the reference trainer write
 * scalars only); it comes from the chief's log lines in the format every
 * Keras user knows — `model.fit` prints `Epoch 3/6` as each epoch starts,
 * the trainer helper and the reference trainer print `epoch 3/6 …`. With
 * such a line the epoch reads `epoch 3/6` and, once an epoch has ended, an
 * ETA follows from the measured time per epoch; without one, `epoch 3` and
 * no ETA (a guessed total would be wrong for any trainer that stops early).
 * While a batch of the next epoch has been seen (or its `Epoch N/M` line)
 * the line says `epoch 3/6`; between an epoch's end and the next batch (or
 * with trainers that log per epoch only) `epoch 2/6 done`.
 */

import type { MetricEvent } from '../metrics/types.ts';
import type { CliIo } from './io.ts';
import { formatDuration } from './render-job.ts';

/** Moves the cursor up one line and clears it: the next line replaces the progress line. */
const REDRAW = '\x1b[1A\x1b[2K';
/** How often the line is redrawn (the elapsed time moves on even when nothing else does). */
export const PROGRESS_REDRAW_MS = 1000;

/** `Epoch 3/6` (Keras) or `epoch 3/6 …` (trainer helper, reference trainer) at the start of a log line. */
const EPOCH_LINE = /^\s*[Ee]poch (\d+)\/(\d+)\b/;

/** The epoch and the planned number of epochs a log line announces, if it is an epoch line. */
export function parseEpochLine(text: string): { epoch: number; of: number } | undefined {
  const match = EPOCH_LINE.exec(text);
  if (!match) return undefined;
  const epoch = Number(match[1]);
  const of = Number(match[2]);
  return of > 0 && epoch > 0 ? { epoch, of } : undefined;
}

/**
 * Whether the progress line reads this replica's epoch lines: the chief's (`chief-0` here;
 * `workerpool0-0` on Vertex, whose pool 0 is the chief or the only replica), or worker-0's where
 * there is no chief — one replica, so that another's lines never mix in.
 */
export function readsEpochLinesOf(replica: string, hasChief: boolean): boolean {
  return replica === CHIEF || replica === 'workerpool0-0' || (replica === 'worker-0' && !hasChief);
}

/** The chief's replica name here (`role-index`, as every replica is named). */
export const CHIEF = 'chief-0';

/** An epoch's end as seen here: how many were done, and when that was seen. */
interface EpochEnd {
  done: number;
  at: number;
}

/** Where training is, from the metric events and the chief's epoch lines seen so far. */
export class EpochProgress {
  /** Epochs finished (their `epoch_loss` seen), counted from 1. */
  done = 0;
  /** The latest batch step, when the trainer logs batches. */
  step: number | undefined;
  /** The planned number of epochs, from the latest epoch line of the chief's log. */
  planned: number | undefined;
  /** The batch step at which the last epoch finished. */
  private stepAtEpochEnd: number | undefined;
  /** The highest epoch an epoch line named. */
  private logEpoch = 0;
  /**
   * When training was first seen going (a batch, or an epoch line: Keras prints `Epoch 1/6` as
   * epoch 1 starts), else when the job went RUNNING (which counts the trainer's own start-up too):
   * epoch 1's start, for the first ETA.
   */
  private trainingSeenAt: number | undefined;
  private runningAt: number | undefined;
  private firstEnd: EpochEnd | undefined;
  private lastEnd: EpochEnd | undefined;
  private readonly now: () => number;

  constructor(now: () => number = Date.now) {
    this.now = now;
  }

  /** The job is running: epoch 1 starts about now, or after the trainer's start-up (a batch or epoch line says when). */
  running(): void {
    this.runningAt ??= this.now();
  }

  add(event: MetricEvent): void {
    if (event.run === 'validation') return;
    if (event.tag === 'batch_loss') {
      this.trainingSeenAt ??= this.now();
      this.step = Math.max(this.step ?? 0, event.step);
    } else if (event.tag === 'epoch_loss' && event.step + 1 > this.done) {
      this.done = event.step + 1;
      this.stepAtEpochEnd = this.step;
      const end = { done: this.done, at: this.now() };
      this.firstEnd ??= end;
      this.lastEnd = end;
    }
  }

  /** A line of the chief's log: an epoch line gives the planned total (and the epoch under way). */
  addLogLine(text: string): void {
    const line = parseEpochLine(text);
    if (!line) return;
    this.trainingSeenAt ??= this.now();
    this.planned = line.of;
    this.logEpoch = Math.max(this.logEpoch, line.epoch);
  }

  /** `epoch 3/6` (or `epoch 3`) while it runs, `epoch 2/6 done` between epochs, undefined before any sign of one. */
  label(): string | undefined {
    const batchInNext =
      this.step !== undefined && (this.stepAtEpochEnd === undefined || this.step > this.stepAtEpochEnd);
    const of = this.planned !== undefined ? `/${this.planned}` : '';
    if (batchInNext || this.logEpoch > this.done)
      return `epoch ${Math.max(this.done + 1, this.logEpoch)}${of}`;
    return this.done > 0 ? `epoch ${this.done}${of} done` : undefined;
  }

  /**
   * Milliseconds left, from the time per epoch measured so far: between the first and the latest
   * epoch end seen once two are (a resumed job's replayed epochs or a slow start then weigh
   * nothing), from training's start to the first end before that. Counts down between epoch ends,
   * never below 0. Undefined with no planned total, before an epoch has ended, or once all have.
   */
  etaMs(): number | undefined {
    const first = this.firstEnd;
    const last = this.lastEnd;
    if (this.planned === undefined || !first || !last || this.done >= this.planned) return undefined;
    let perEpoch: number | undefined;
    if (last.done > first.done) perEpoch = (last.at - first.at) / (last.done - first.done);
    else {
      // A sign of training seen only with the first end (an end-of-epoch line) says nothing of the start.
      const startedAt = [this.trainingSeenAt, this.runningAt].find((at) => at !== undefined && at < first.at);
      if (startedAt !== undefined) perEpoch = (first.at - startedAt) / first.done;
    }
    if (perEpoch === undefined) return undefined;
    return Math.max(0, perEpoch * (this.planned - this.done) - (this.now() - last.at));
  }
}

/**
 * The progress line's text, `quickstart-4sa1tr RUNNING · epoch 3/6 · step 140 · elapsed 12.3 s · ETA 18.5 s`,
 * fitted to `columns`: on a narrow terminal the job id goes first (it is printed above, at
 * `submitted`), then the step, then the ETA; state, epoch and elapsed time stay longest, and
 * only then is the line cut.
 */
export function progressText(
  id: string,
  state: string,
  progress: EpochProgress,
  elapsedMs: number,
  columns?: number,
): string {
  const epoch = progress.label();
  const step = progress.step !== undefined ? `step ${progress.step}` : undefined;
  const elapsed = `elapsed ${formatDuration(elapsedMs)}`;
  const etaMs = progress.etaMs();
  const eta = etaMs !== undefined ? `ETA ${formatDuration(etaMs)}` : undefined;
  const variants = [
    [`${id} ${state}`, epoch, step, elapsed, eta],
    [state, epoch, step, elapsed, eta],
    [state, epoch, elapsed, eta],
    [state, epoch, elapsed],
  ].map((parts) => parts.filter((p) => p !== undefined).join(' · '));
  const fits = variants.find((line) => !columns || line.length < columns);
  return fitToWidth(fits ?? variants.at(-1)!, columns);
}

/** Cuts a line to the terminal's width (one column spare: a full line would wrap on some terminals). */
export function fitToWidth(line: string, columns: number | undefined): string {
  if (!columns || columns < 2 || line.length < columns) return line;
  return `${line.slice(0, Math.max(0, columns - 2))}…`;
}

/** The bottom line on a terminal: lines printed through it go above it. */
export class ProgressLine {
  private drawn = false;
  private timer: NodeJS.Timeout | undefined;
  private readonly io: CliIo;
  private readonly render: (columns: number | undefined) => string;

  constructor(io: CliIo, render: (columns: number | undefined) => string) {
    this.io = io;
    this.render = render;
  }

  start(): void {
    this.redraw();
    this.timer = setInterval(() => this.redraw(), PROGRESS_REDRAW_MS);
    this.timer.unref();
  }

  /** A log line, printed above the progress line (which is drawn again under it). */
  print(line: string): void {
    const erase = this.drawn ? REDRAW : '';
    if (!this.timer) {
      this.io.out(`${erase}${line}`);
      this.drawn = false;
      return;
    }
    this.io.out(`${erase}${line}\n${this.current()}`);
    this.drawn = true;
  }

  redraw(): void {
    this.io.out(`${this.drawn ? REDRAW : ''}${this.current()}`);
    this.drawn = true;
  }

  /** Stops redrawing; the next line printed through `print` takes the progress line's place. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private current(): string {
    return fitToWidth(this.render(this.io.columns), this.io.columns);
  }
}
