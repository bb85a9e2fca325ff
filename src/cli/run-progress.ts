/**
 * The progress line of `strato run` on a terminal: one line kept at the
 * bottom, redrawn in place every second and cut to the terminal's width —
 * `quickstart-4sa1tr RUNNING · epoch 3 · step 140 · elapsed 12.3 s` — with
 * the log lines (replica states, epoch results) printed above it.
 *
 * The epoch comes from the metrics the run follows, counted from 1 as in
 * every human view. The planned number of epochs is not in the event files
 * (Keras's TensorBoard callback and the reference trainer write scalars
 * only), so there is no `/6` and no ETA: a guessed total would be wrong
 * for any trainer that stops early. While a batch of the next epoch has
 * been seen the line says `epoch 3`; between an epoch's end and the next
 * batch (or with trainers that log per epoch only) `epoch 2 done`.
 */

import type { MetricEvent } from '../metrics/types.ts';
import type { CliIo } from './io.ts';
import { formatDuration } from './render-job.ts';

/** Moves the cursor up one line and clears it: the next line replaces the progress line. */
const REDRAW = '\x1b[1A\x1b[2K';
/** How often the line is redrawn (the elapsed time moves on even when nothing else does). */
export const PROGRESS_REDRAW_MS = 1000;

/** Where training is, from the metric events seen so far. */
export class EpochProgress {
  /** Epochs finished (their `epoch_loss` seen), counted from 1. */
  done = 0;
  /** The latest batch step, when the trainer logs batches. */
  step: number | undefined;
  /** The batch step at which the last epoch finished. */
  private stepAtEpochEnd: number | undefined;

  add(event: MetricEvent): void {
    if (event.run === 'validation') return;
    if (event.tag === 'batch_loss') this.step = Math.max(this.step ?? 0, event.step);
    else if (event.tag === 'epoch_loss' && event.step + 1 > this.done) {
      this.done = event.step + 1;
      this.stepAtEpochEnd = this.step;
    }
  }

  /** `epoch 3` while its batches run, `epoch 2 done` between epochs, undefined before any metric. */
  label(): string | undefined {
    const inNext =
      this.step !== undefined && (this.stepAtEpochEnd === undefined || this.step > this.stepAtEpochEnd);
    if (inNext) return `epoch ${this.done + 1}`;
    return this.done > 0 ? `epoch ${this.done} done` : undefined;
  }
}

/**
 * The progress line's text, `quickstart-4sa1tr RUNNING · epoch 3 · step 140 · elapsed 12.3 s`,
 * fitted to `columns`: on a narrow terminal the job id goes first, then the step; only then is
 * the line cut.
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
  const variants = [
    [`${id} ${state}`, epoch, step, elapsed],
    [state, epoch, step, elapsed],
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
