/**
 * The live `strato run` display on a terminal (issue 18, item 7): the
 * quickstart run on a pseudo-terminal 64 columns wide keeps a progress line
 * at the bottom — job state, the epoch counted from 1 out of the planned
 * total its trainer prints (`epoch 3/6`), elapsed time, an ETA once an epoch
 * has ended — that never wraps, redrawn in place while the log lines scroll
 * above it; and the same run with stdout not a terminal prints no control
 * sequences at all.
 */

import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../support/local.ts';
import { stratoOnTerminal } from '../support/pty.ts';

const home = tempDir('strato-progress-');
afterAll(() => home.remove());
const env = { ...process.env, STRATO_HOME: home.path };
const COLUMNS = 64;
/** The planned epoch count, from the quickstart's own args (its trainer prints `epoch N/M`). */
const EPOCHS = Number(
  /--epochs=(\d+)/.exec(readFileSync(join(REPO_ROOT, 'templates/quickstart.yaml'), 'utf8'))![1],
);
/** Cursor up, clear line: how the progress line is replaced. */
const REDRAW = '\x1b[1A\x1b[2K';

describe('strato run on a terminal', () => {
  it('keeps a progress line that fits the width: state, epoch N/M, elapsed, then an ETA', {
    timeout: 120_000,
  }, async () => {
    const { code, screen } = await stratoOnTerminal(['run', 'templates/quickstart.yaml'], {
      env,
      columns: COLUMNS,
    });
    expect(code).toBe(0);
    const lines = screen.split('\n').map((line) => line.split(REDRAW).at(-1)!);
    const progress = lines.filter((line) => /^(quickstart-\w+ )?(QUEUED|RUNNING) · /.test(line));
    expect(progress.length).toBeGreaterThan(3);
    for (const line of progress) expect(line.length).toBeLessThan(COLUMNS);
    expect(progress.some((line) => /· epoch \d+(\/\d+)?( done)? ·/.test(line))).toBe(true);
    // The total, read from the trainer's `epoch N/M` lines, is the one its args planned; whichever frames
    // show it (the first ones may come before the log was read).
    const totals = progress.flatMap((line) => /epoch \d+\/(\d+)/.exec(line)?.[1] ?? []).map(Number);
    expect(totals.length).toBeGreaterThan(0);
    expect(new Set(totals)).toEqual(new Set([EPOCHS]));
    // An ETA only with the total, and only after the first epoch's result line.
    const withEta = progress.filter((line) => / · ETA \d/.test(line));
    expect(withEta.length).toBeGreaterThan(0);
    for (const line of withEta) expect(line).toMatch(new RegExp(`epoch \\d+/${EPOCHS}`));
    const firstEpochResult = screen.search(/\d\d:\d\d:\d\d {2}epoch 1 {2}loss/);
    expect(firstEpochResult).toBeGreaterThan(-1);
    expect(screen.indexOf(' · ETA ')).toBeGreaterThan(firstEpochResult);
    expect(progress.every((line) => /elapsed \d/.test(line) || line.endsWith('…'))).toBe(true);
    // The quickstart trains EPOCHS epochs: the line counts from 1, and only forward. (Whether it shows the
    // last one depends on the metrics poll catching it before the job ends: the summary has it anyway.)
    const epochs = progress.flatMap((line) => /epoch (\d+)/.exec(line)?.[1] ?? []).map(Number);
    expect(epochs.length).toBeGreaterThan(0);
    expect(epochs).toEqual([...epochs].sort((a, b) => a - b));
    expect(Math.min(...epochs)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...epochs)).toBeLessThanOrEqual(EPOCHS);
    // Each redraw replaces the progress line: a log line printed meanwhile took its place.
    const replaced = screen
      .split('\n')
      .filter((line) => line.startsWith(REDRAW))
      .map((line) => line.slice(REDRAW.length));
    expect(replaced.some((line) => /^\d\d:\d\d:\d\d {2}epoch 1 {2}loss/.test(line))).toBe(true);
    expect(screen).toMatch(/SUCCEEDED in /);
  });

  it('prints no progress line and no control sequence when stdout is not a terminal', {
    timeout: 120_000,
  }, async () => {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [join(REPO_ROOT, 'bin/strato.js'), 'run', 'templates/quickstart.yaml'],
      { env, cwd: REPO_ROOT },
    );
    expect(stdout).not.toContain('\x1b[');
    expect(stdout).not.toContain('elapsed');
    expect(stdout).not.toContain('ETA');
    expect(stdout).toMatch(new RegExp(`epoch ${EPOCHS} {2}loss`));
  });
});
