/**
 * A plain-text chart of one tag: every run on the same axes, one marker
 * character per run, printable anywhere (no colours, no box-drawing fonts).
 */

import { formatValue } from '../format.ts';
import type { TagSeries } from '../series.ts';

export interface TerminalChartOptions {
  /** Columns of the plot area (default 60). */
  width?: number;
  /** Rows of the plot area (default 12). */
  height?: number;
}

/** Markers by run, in the order runs are listed (`train` before `validation`). */
const MARKERS = ['*', 'o', '+', 'x', '#', '@', '%', '&'];

export function renderTerminalChart(series: TagSeries, options: TerminalChartOptions = {}): string {
  const width = Math.max(10, options.width ?? 60);
  const height = Math.max(3, options.height ?? 12);
  const bounds = boundsOf(series);
  if (!bounds) return `${series.tag}\n  (no finite values)`;
  const { minStep, maxStep } = bounds;
  let { minValue, maxValue } = bounds;
  if (minValue === maxValue) {
    // A flat line: give it a band to sit in the middle of.
    const pad = Math.abs(minValue) * 0.5 || 1;
    minValue -= pad;
    maxValue += pad;
  }
  const grid = Array.from({ length: height }, () => Array<string>(width).fill(' '));
  series.runs.forEach((run, index) => {
    const marker = MARKERS[index % MARKERS.length]!;
    // Points sharing a column are averaged, so a dense series reads as a line.
    const columns = new Map<number, { sum: number; count: number }>();
    for (const { step, value } of run.points) {
      if (!Number.isFinite(value)) continue;
      const column =
        maxStep === minStep ? 0 : Math.round(((step - minStep) / (maxStep - minStep)) * (width - 1));
      const cell = columns.get(column) ?? { sum: 0, count: 0 };
      cell.sum += value;
      cell.count += 1;
      columns.set(column, cell);
    }
    for (const [column, { sum, count }] of columns) {
      const row = Math.round(((maxValue - sum / count) / (maxValue - minValue)) * (height - 1));
      grid[row]![column] = marker;
    }
  });
  const labels = grid.map((_, row) =>
    row === 0 ? formatValue(maxValue) : row === height - 1 ? formatValue(minValue) : '',
  );
  const labelWidth = Math.max(...labels.map((label) => label.length));
  const lines = [series.tag];
  grid.forEach((cells, row) => {
    lines.push(`${labels[row]!.padStart(labelWidth)} |${cells.join('').trimEnd()}`);
  });
  lines.push(`${' '.repeat(labelWidth)} +${'-'.repeat(width)}`);
  // Keras writes epoch N's values at step N-1; read as the epochs it printed (as `strato run` does).
  const offset = series.tag.startsWith('epoch_') ? 1 : 0;
  const first = `${offset ? 'epoch' : 'step'} ${minStep + offset}`;
  const last = `${maxStep + offset}`;
  lines.push(`${' '.repeat(labelWidth + 2)}${first}${last.padStart(Math.max(1, width - first.length))}`);
  lines.push(
    `${' '.repeat(labelWidth + 2)}${series.runs.map((run, i) => `${MARKERS[i % MARKERS.length]} ${run.run || '(top level)'}`).join('   ')}`,
  );
  return lines.join('\n');
}

export interface ChartBounds {
  minStep: number;
  maxStep: number;
  minValue: number;
  maxValue: number;
}

/** Step and value ranges over the finite points of every run; undefined when there are none. */
export function boundsOf(series: TagSeries): ChartBounds | undefined {
  let bounds: ChartBounds | undefined;
  for (const run of series.runs) {
    for (const { step, value } of run.points) {
      if (!Number.isFinite(value)) continue;
      if (!bounds) {
        bounds = { minStep: step, maxStep: step, minValue: value, maxValue: value };
        continue;
      }
      if (step < bounds.minStep) bounds.minStep = step;
      if (step > bounds.maxStep) bounds.maxStep = step;
      if (value < bounds.minValue) bounds.minValue = value;
      if (value > bounds.maxValue) bounds.maxValue = value;
    }
  }
  return bounds;
}
