/** Text forms of metric values shared by the CLI's table, CSV, NDJSON and charts. */

import type { MetricEvent } from './types.ts';

/** Six significant digits, without trailing zeros: enough to compare losses, short enough for a table. */
export function formatValue(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  return String(Number(value.toPrecision(6)));
}

/**
 * One NDJSON line (without the newline). NaN and ±Infinity, which JSON lacks,
 * become null. Put together by hand rather than by stringifying an object:
 * a large file prints millions of these, and this is ~3× faster.
 */
export function metricJson(event: MetricEvent): string {
  const { run, tag, step, value, wallTime, file } = event;
  return `{"run":${JSON.stringify(run)},"tag":${JSON.stringify(tag)},"step":${jsonNumber(step)},"value":${jsonNumber(value)},"wallTime":${jsonNumber(wallTime)},"file":${JSON.stringify(file)}}`;
}

function jsonNumber(x: number): string {
  return Number.isFinite(x) ? String(x) : 'null';
}

export const CSV_HEADER = 'run,tag,step,value,wall_time,file';

/** One CSV row (RFC 4180 quoting), in the columns of `CSV_HEADER`. */
export function metricCsv(event: MetricEvent): string {
  return [event.run, event.tag, String(event.step), String(event.value), String(event.wallTime), event.file]
    .map(csvField)
    .join(',');
}

function csvField(text: string): string {
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
