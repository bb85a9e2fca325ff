/**
 * Progress of a push for people: on a terminal one line redrawn in place
 * (bar, files, bytes, rate, ETA); otherwise a plain line every few seconds,
 * which reads well in CI logs.
 */

import type { SyncProgress, SyncSummary } from '../storage/sync/upload-dataset.ts';

export interface ProgressReporterOptions {
  isTTY: boolean;
  /** Writes one line (a newline is added by the writer). */
  write: (line: string) => void;
  now?: () => number;
  /** Least time between lines; default 200 ms on a terminal, 5 s otherwise. */
  intervalMs?: number;
}

export interface ProgressReporter {
  update(progress: SyncProgress): void;
  /** Brings a shown line to its final state (nothing when no line was shown: the summary says it all). */
  finish(progress: SyncProgress): void;
}

/** Moves the cursor up one line and clears it: the next line replaces the previous one. */
const REDRAW = '\x1b[1A\x1b[2K';
const BAR_WIDTH = 24;

export function createProgressReporter(options: ProgressReporterOptions): ProgressReporter {
  const now = options.now ?? (() => performance.now());
  const interval = options.intervalMs ?? (options.isTTY ? 200 : 5000);
  let startedAt: number | undefined;
  let lastAt: number | undefined;
  let drawn = false;
  const draw = (p: SyncProgress) => {
    const at = now();
    startedAt ??= at;
    lastAt = at;
    const line = formatProgress(p, (at - startedAt) / 1000, options.isTTY);
    options.write(options.isTTY && drawn ? `${REDRAW}${line}` : line);
    drawn = true;
  };
  return {
    update(p) {
      if (p.phase === 'scanning') return;
      startedAt ??= now();
      if (lastAt === undefined ? now() - startedAt < interval : now() - lastAt < interval) return;
      draw(p);
    },
    finish(p) {
      if (drawn) draw(p);
    },
  };
}

export function formatProgress(p: SyncProgress, seconds: number, withBar: boolean): string {
  const fraction =
    p.bytesToUpload > 0
      ? p.uploadedBytes / p.bytesToUpload
      : p.filesToUpload > 0
        ? p.uploaded / p.filesToUpload
        : 1;
  const rate = seconds > 0 ? p.uploadedBytes / seconds : 0;
  const remaining = p.bytesToUpload - p.uploadedBytes;
  const eta = rate > 0 && remaining > 0 ? formatDuration(remaining / rate) : '-';
  const parts = [
    `${p.uploaded}/${p.filesToUpload} files`,
    `${formatBytes(p.uploadedBytes)}/${formatBytes(p.bytesToUpload)}`,
    `${formatBytes(rate)}/s`,
    `ETA ${eta}`,
    ...(p.skipped > 0 ? [`${p.skipped} unchanged`] : []),
    ...(p.toDelete > 0 ? [`${p.deleted}/${p.toDelete} deleted`] : []),
  ];
  const percent = `${Math.floor(Math.min(1, fraction) * 100)}%`.padStart(4);
  if (!withBar) return `push: ${percent} ${parts.join(', ')}`;
  const filled = Math.round(Math.min(1, fraction) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}] ${percent} ${parts.join('  ')}`;
}

export function formatSummary(s: SyncSummary, destination: string): string {
  const verb = s.dryRun ? 'would push' : 'pushed';
  const rate =
    s.seconds > 0 && s.uploaded > 0
      ? ` (${Math.round(s.uploaded / s.seconds)} files/s, ${formatBytes(s.uploadedBytes / s.seconds)}/s)`
      : '';
  const deleted = s.deleted > 0 ? `, ${s.dryRun ? 'would delete' : 'deleted'} ${s.deleted}` : '';
  return `${verb} ${s.uploaded} of ${s.files} files (${formatBytes(s.uploadedBytes)}) to ${destination}, ${s.skipped} unchanged${deleted}, in ${s.seconds.toFixed(1)} s${rate}`;
}

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? Math.round(value) : value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  const s = Math.ceil(seconds);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
