/**
 * A self-contained HTML report of a run's metrics: one chart per tag with
 * every run (train, validation, …) on the same axes. The data travel as JSON
 * inside the page and a small inline script draws SVG from them, so the file
 * works offline, from disk, with no assets.
 */

import { readFileSync } from 'node:fs';
import { downsample, type TagSeries } from '../series.ts';

/** Points per line at most: more than a chart's width in pixels can show; keeps big runs' pages small. */
export const MAX_POINTS_PER_LINE = 5000;

/** Line colours by run order (`train` first, `validation` second): a colour-blind-safe palette (Okabe–Ito). */
const COLORS = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#F0E442', '#000000'];

export interface HtmlReportOptions {
  /** What the report is of: a run dir, a job id. */
  title: string;
  /** When the report was made (shown on the page). */
  generatedAt: Date;
}

/** The data embedded in the page, as the script reads them. */
export interface ReportData {
  charts: {
    tag: string;
    /** What the x axis counts: `epoch` (from 1) for Keras's `epoch_*` tags, else `step` as written. */
    axis: 'epoch' | 'step';
    runs: { run: string; color: string; points: [number, number | null][] }[];
  }[];
}

export function reportData(series: TagSeries[]): ReportData {
  return {
    charts: series.map(({ tag, runs }) => {
      // Keras writes epoch N's values at step N-1: shown as the epochs it printed, as every human view counts them.
      const epochs = tag.startsWith('epoch_');
      const offset = epochs ? 1 : 0;
      return {
        tag,
        axis: epochs ? 'epoch' : 'step',
        runs: runs.map(({ run, points }, index) => ({
          run,
          color: COLORS[index % COLORS.length]!,
          points: downsample(points, MAX_POINTS_PER_LINE).map(({ step, value }) => [
            step + offset,
            Number.isFinite(value) ? value : null,
          ]),
        })),
      };
    }),
  };
}

const escapeHtml = (text: string) =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );

/** JSON that cannot end the script element it sits in. */
const scriptSafeJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function asset(name: string): string {
  return readFileSync(new URL(name, import.meta.url), 'utf8');
}

/** A self-contained HTML page with one chart per metric tag (what `strato metrics --html` writes). */
export function renderHtmlReport(series: TagSeries[], options: HtmlReportOptions): string {
  const data = reportData(series);
  const points = data.charts.reduce((sum, c) => sum + c.runs.reduce((s, r) => s + r.points.length, 0), 0);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Metrics: ${options.title}`)}</title>
<style>
${asset('./report-style.css')}</style>
</head>
<body>
<h1>${escapeHtml(options.title)}</h1>
<p class="meta">${data.charts.length} chart${data.charts.length === 1 ? '' : 's'}, ${points} points · made by strato metrics on ${escapeHtml(options.generatedAt.toISOString())}</p>
<main id="charts"></main>
<script type="application/json" id="strato-metrics">${scriptSafeJson(data)}</script>
<script>
${asset('./report-script.js')}</script>
</body>
</html>
`;
}
