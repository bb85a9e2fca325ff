import { describe, expect, it } from 'vitest';
import {
  createProgressReporter,
  formatBytes,
  formatDuration,
  formatProgress,
  formatSummary,
} from '../../../src/cli/progress-report.ts';
import type { SyncProgress } from '../../../src/storage/sync/upload-dataset.ts';

const progress = (over: Partial<SyncProgress> = {}): SyncProgress => ({
  phase: 'uploading',
  files: 100,
  bytes: 2_000_000,
  filesToUpload: 40,
  bytesToUpload: 1_000_000,
  uploaded: 10,
  uploadedBytes: 250_000,
  skipped: 60,
  toDelete: 0,
  deleted: 0,
  ...over,
});

describe('progress lines', () => {
  it('shows files, bytes, rate and ETA', () => {
    expect(formatProgress(progress(), 5, false)).toBe(
      'push:  25% 10/40 files, 250 KB/1.0 MB, 50 KB/s, ETA 15s, 60 unchanged',
    );
    expect(formatProgress(progress(), 5, true)).toMatch(/^\[######\.{18}\] {2}25% 10\/40 files/);
  });

  it('GIVEN a terminal THEN redraws one line in place; otherwise prints plain lines at the interval', () => {
    let now = 0;
    const tty: string[] = [];
    const reporter = createProgressReporter({
      isTTY: true,
      write: (l) => tty.push(l),
      now: () => now,
      intervalMs: 100,
    });
    reporter.update(progress());
    now = 150;
    reporter.update(progress({ uploaded: 20 }));
    now = 160;
    reporter.update(progress({ uploaded: 21 }));
    now = 300;
    reporter.update(progress({ uploaded: 30 }));
    expect(tty).toHaveLength(2);
    expect(tty[1]!.startsWith('\x1b[1A\x1b[2K')).toBe(true);

    const plain: string[] = [];
    const ci = createProgressReporter({
      isTTY: false,
      write: (l) => plain.push(l),
      now: () => now,
      intervalMs: 5000,
    });
    now = 0;
    ci.update(progress());
    now = 4000;
    ci.update(progress());
    now = 5001;
    ci.update(progress());
    ci.finish(progress({ phase: 'done', uploaded: 40, uploadedBytes: 1_000_000 }));
    expect(plain).toHaveLength(2);
    expect(plain[1]).toMatch(/^push: 100% 40\/40 files/);
    expect(plain.join('')).not.toContain('\x1b');
  });

  it('summarises a push and formats sizes and durations', () => {
    expect(
      formatSummary(
        {
          files: 10,
          bytes: 5000,
          uploaded: 4,
          uploadedBytes: 4000,
          skipped: 6,
          deleted: 1,
          seconds: 2,
          dryRun: false,
        },
        'gs://b/p',
      ),
    ).toBe(
      'pushed 4 of 10 files (4.0 KB) to gs://b/p, 6 unchanged, deleted 1, in 2.0 s (2 files/s, 2.0 KB/s)',
    );
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1_234_567_890)).toBe('1.2 GB');
    expect(formatDuration(59)).toBe('59s');
    expect(formatDuration(61)).toBe('1m01s');
    expect(formatDuration(7260)).toBe('2h01m');
  });
});
